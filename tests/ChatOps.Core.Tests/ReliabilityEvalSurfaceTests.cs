using System.Text.RegularExpressions;
using ChatOps.Core.Chat;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatOps.Core.Tests;

/// <summary>
/// Reliability-security test 14 (no eval surfaces; StackStorm's Jinja, Jenkins' script console): the whole
/// solution's source and package list hold no shell execution, no single-string process start, no script
/// engine and no template engine; template payloads typed in chat come back literally.
/// </summary>
public sealed partial class ReliabilityEvalSurfaceTests
{
    /// <summary>Packages that execute code or templates: none may be referenced anywhere.</summary>
    private static readonly string[] EvalPackages =
    [
        "Microsoft.CodeAnalysis.CSharp.Scripting", "Microsoft.CodeAnalysis.Scripting", "RazorLight", "RazorEngine", "Scriban", "Fluid.Core",
        "DotLiquid", "Handlebars.Net", "Stubble.Core", "Nustache", "Jint", "NLua", "IronPython", "ClearScript", "DynamicExpresso", "NCalc",
        "System.Linq.Dynamic.Core", "Microsoft.AspNetCore.Mvc.Razor.RuntimeCompilation",
    ];

    [Fact]
    public void No_source_file_in_the_solution_executes_a_shell_a_script_or_a_template()
    {
        var sources = SourceFiles("src", "*.cs").ToList();
        Assert.True(sources.Count > 100, $"only {sources.Count} source files found");
        Assert.Contains(sources, f => f.EndsWith("ActionRunner.cs", StringComparison.Ordinal));

        var findings = sources
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(RepositoryRoot(), f), Line: i + 1, Text: line)))
            .Where(l => Forbidden().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(findings.Count == 0, string.Join('\n', findings));
    }

    [Fact]
    public void No_project_references_a_script_or_template_engine()
    {
        var files = SourceFiles("", "*.csproj").Concat(SourceFiles("", "Directory.Packages.props")).ToList();
        Assert.Contains(files, f => f.EndsWith("Directory.Packages.props", StringComparison.Ordinal));

        var findings = files
            .SelectMany(f => EvalPackages.Where(p => File.ReadAllText(f).Contains($"\"{p}\"", StringComparison.OrdinalIgnoreCase)).Select(p => $"{Path.GetFileName(f)}: {p}"))
            .ToList();

        Assert.True(findings.Count == 0, string.Join('\n', findings));
    }

    [Fact]
    public void The_only_process_start_in_the_solution_is_the_agents_argv_runner()
    {
        var starts = SourceFiles("src", "*.cs")
            .Where(f => File.ReadAllText(f).Contains("ProcessStartInfo", StringComparison.Ordinal) || File.ReadAllText(f).Contains("Process.Start", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepositoryRoot(), f).Replace('\\', '/'))
            .ToList();

        Assert.Equal(["src/ChatOps.Agent/Execution/ActionRunner.cs"], starts);
    }

    [Theory]
    [InlineData("var info = new ProcessStartInfo(\"/bin/sh\");")]
    [InlineData("Arguments = \"-c \" + text,")]
    [InlineData("new ProcessStartInfo(\"bash\", \"-c ls\")")]
    [InlineData("startInfo.ArgumentList.Add(\"-c\");")]
    [InlineData("Process.Start(\"cmd /c dir\");")]
    [InlineData("Process.Start(\"sh\", command);")]
    [InlineData("UseShellExecute = true,")]
    [InlineData("await CSharpScript.EvaluateAsync(code);")]
    [InlineData("var template = Template.Parse(text);")]
    [InlineData("var engine = new RazorLightEngineBuilder().Build();")]
    [InlineData("var parser = new FluidParser();")]
    [InlineData("Handlebars.Compile(source)")]
    [InlineData("new DataTable().Compute(expression, null)")]
    public void The_scan_recognises_eval_surfaces(string line)
    {
        Assert.Matches(Forbidden(), line);
    }

    [Theory]
    [InlineData("{{7*7}}")]
    [InlineData("${7*7}")]
    [InlineData("@(1+1)")]
    [InlineData("#{7*7}")]
    [InlineData("{{ ''.__class__.__mro__ }}")]
    [InlineData("<%= 7*7 %>")]
    public async Task Template_payloads_typed_in_chat_come_back_literally(string payload)
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatops-eval-{Guid.NewGuid():N}.db");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSqliteStore(o => o.Path = path);
        services.AddInMemoryBus();
        services.AddInMemoryState();
        services.AddChatOpsCore();
        await using var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
        await provider.GetRequiredService<IUserStore>().UpsertUserAsync(new User("admin", "alice", [Roles.Admin], DateTimeOffset.UtcNow));
        await provider.GetRequiredService<IServerStore>().UpsertAsync(new Server("web-1", null, [], DateTimeOffset.UtcNow));
        var requested = new TaskCompletionSource<CommandRequested>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var capture = await provider.GetRequiredService<IEventBus>().SubscribeAsync(Topics.Commands, "eval-capture", (envelope, _) =>
        {
            if (envelope.Type == EventTypes.CommandRequested) requested.TrySetResult(envelope.Read<CommandRequested>());
            return Task.CompletedTask;
        });
        var intake = provider.GetRequiredService<CommandIntake>();
        var admin = new Requester("admin", "apikey:k-admin", "alice");

        var unknown = await intake.HandleAsync(new IntakeRequest(admin, new ChatRef("test", "c1", "t-1"), payload));
        var help = await intake.HandleAsync(new IntakeRequest(admin, new ChatRef("test", "c1", "t-2"), "help " + payload));
        var run = await intake.HandleAsync(new IntakeRequest(admin, new ChatRef("test", "c1", "t-3"), $"run web-1 echo -- \"{payload}\""));

        foreach (var reply in new[] { unknown, help })
        {
            Assert.Null(reply.CommandId);
            Assert.False(string.IsNullOrWhiteSpace(reply.Text));
            Assert.DoesNotContain("49", reply.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("<class", reply.Text, StringComparison.Ordinal);
        }

        // After --, the payload travels to the agent as one literal argument: never evaluated on the way.
        Assert.True(run.CommandId is not null, run.Text);
        var command = await requested.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([payload], command.ActionArgs);

        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StopAsync(CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" }) File.Delete(file);
    }

    // Shells by path or name with their flags, shell execution, single-string process starts, script engines, template engines, expression evaluators.
    [GeneratedRegex(
        @"/bin/(ba|da|z|k|c|tc)?sh\b|""(ba|da|z)?sh""|""-c\b|cmd(\.exe)?\s*/c|powershell|UseShellExecute\s*=\s*true|(?-i:\bArguments\s*=[^=])|Process\.Start\(\s*""|Process\.Start\([^)]*,|" +
        @"CSharpScript|ScriptOptions|Microsoft\.CodeAnalysis\.Scripting|Template\.Parse|RazorLight|RazorEngine|FluidParser|Handlebars\.Compile|DotLiquid|Scriban|Stubble|DataTable\(\)\.Compute",
        RegexOptions.IgnoreCase)]
    private static partial Regex Forbidden();

    private static IEnumerable<string> SourceFiles(string under, string pattern) =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), under), pattern, SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "ChatOps.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("ChatOps.sln not found above " + AppContext.BaseDirectory);
    }
}
