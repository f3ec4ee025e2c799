using ChatOps.Kafka;
using ChatOps.Kafka.Replay;

namespace ChatOps.Server.Replay;

/// <summary>
/// <c>chatops replay</c>: re-drives or exports the events of a Kafka topic (see <see cref="ReplayArguments.Usage"/>).
/// Exit codes: 0 done, 1 the replay failed, 2 bad arguments or configuration.
/// </summary>
public static class ReplayCommand
{
    public static async Task<int> RunAsync(string[] args, TimeProvider? timeProvider = null, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var rest = args.Skip(1).ToList();
        if (rest.Any(a => a is "--help" or "-h"))
        {
            await stdout.WriteLineAsync(ReplayArguments.Usage);
            return 0;
        }

        var (arguments, error) = ReplayArguments.Parse(rest, (timeProvider ?? TimeProvider.System).GetUtcNow());
        if (arguments is null)
        {
            await stderr.WriteLineAsync($"chatops replay: {error}");
            await stderr.WriteLineAsync(ReplayArguments.Usage);
            return 2;
        }

        var (options, problems) = ReadKafkaOptions(arguments.BootstrapServers);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                await stderr.WriteLineAsync($"chatops replay: configuration error: {problem}");
            }

            return 2;
        }

        using var interrupted = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var replayer = new KafkaReplayer(options, timeProvider);
            var result = arguments.TargetTopic is { } target
                ? await replayer.RedriveAsync(arguments.Topic, arguments.From, target, interrupted.Token)
                : await replayer.ExportToFileAsync(arguments.Topic, arguments.From, arguments.OutputFile!, interrupted.Token);
            var notEnvelopes = result.NotEnvelopes > 0 ? $"; {result.NotEnvelopes} of them not envelopes, copied as raw bytes" : "";
            await stdout.WriteLineAsync($"replayed {result.Records} records from {result.Topic} ({result.Partitions} partitions) to {result.Destination}{notEnvelopes}");
            return 0;
        }
        catch (ReplayException ex)
        {
            await stderr.WriteLineAsync($"chatops replay: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("chatops replay: interrupted; a target topic may hold a partial copy, an export file was not written.");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>ChatOps:Kafka as the server reads it (appsettings, environment), with --bootstrap-servers on top.</summary>
    internal static (KafkaBusOptions Options, IReadOnlyList<string> Problems) ReadKafkaOptions(string? bootstrapServers, IConfiguration? configuration = null)
    {
        configuration ??= Configuration();
        var options = new KafkaBusOptions();
        try
        {
            configuration.GetSection(KafkaBusOptions.Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            return (options, [$"{KafkaBusOptions.Section}: {ex.Message}"]);
        }

        if (!string.IsNullOrWhiteSpace(bootstrapServers))
        {
            options.BootstrapServers = bootstrapServers;
        }

        var problems = options.Validate()
            .Select(p => string.IsNullOrWhiteSpace(options.BootstrapServers) && p.Contains("BootstrapServers", StringComparison.Ordinal) ? p + " Set it, or pass --bootstrap-servers host:port." : p)
            .ToList();
        return (options, problems);
    }

    private static IConfiguration Configuration()
    {
        // The same sources, in the same order, as the server's WebApplication builder.
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
    }
}
