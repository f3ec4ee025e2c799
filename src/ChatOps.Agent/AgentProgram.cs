using System.Runtime.InteropServices;
using ChatOps.Agent.Allowlist;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent;

/// <summary>The chatops-agent executable: command line in, exit code out.</summary>
internal static class AgentProgram
{
    public const int ExitStopped = 0;
    public const int ExitFailed = 1;
    public const int ExitBadConfiguration = 2;

    public static async Task<int> MainAsync(string[] args, Func<string, string?> environment, TextWriter output, TextWriter error)
    {
        var commandLine = AgentCommandLine.Parse(args, environment);
        switch (commandLine.Mode)
        {
            case CommandLineMode.Help:
                await output.WriteLineAsync(AgentCommandLine.Usage);
                return ExitStopped;
            case CommandLineMode.CheckAllowlist:
                return await CheckAllowlistAsync(commandLine, output, error);
        }

        var problems = commandLine.Problems.Concat(commandLine.Options!.Validate()).ToList();
        if (problems.Count > 0)
        {
            return await ReportAsync(problems, error);
        }

        using var loggerFactory = AgentTelemetry.CreateLoggerFactory(commandLine.Options);
        using var tracing = AgentTelemetry.CreateTracerProvider(commandLine.Options);

        AgentRunner agent;
        try
        {
            agent = new AgentRunner(commandLine.Options, loggerFactory, TimeProvider.System);
        }
        catch (AgentStartupException e)
        {
            return await ReportAsync(e.Problems, error);
        }

        using var stop = new CancellationTokenSource();
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            await agent.RunAsync(stop.Token);
            return ExitStopped;
        }
        catch (Exception e)
        {
            loggerFactory.CreateLogger("ChatOps.Agent").LogCritical(e, "the agent failed");
            return ExitFailed;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static async Task<int> CheckAllowlistAsync(CommandLine commandLine, TextWriter output, TextWriter error)
    {
        if (commandLine.Problems.Count > 0)
        {
            return await ReportAsync(commandLine.Problems, error);
        }

        AgentAllowlist allowlist;
        try
        {
            allowlist = AgentAllowlist.Load(commandLine.AllowlistToCheck!);
        }
        catch (AllowlistException e)
        {
            return await ReportAsync(e.Problems, error);
        }

        await output.WriteLineAsync($"allowlist {commandLine.AllowlistToCheck}: {allowlist.ActionNames.Count} action(s)");
        foreach (var name in allowlist.ActionNames)
        {
            allowlist.TryGet(name, out var action);
            await output.WriteLineAsync(AllowlistDescription.Describe(action!));
        }

        return ExitStopped;
    }

    private static async Task<int> ReportAsync(IEnumerable<string> problems, TextWriter error)
    {
        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"chatops-agent: {problem}");
        }

        return ExitBadConfiguration;
    }
}
