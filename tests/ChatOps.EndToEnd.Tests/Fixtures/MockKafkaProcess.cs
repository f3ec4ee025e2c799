using System.Diagnostics;

namespace ChatOps.EndToEnd.Tests.Fixtures;

/// <summary>
/// librdkafka's mock cluster in its own process (tests/ChatOps.MockKafka), so several chatops processes
/// can share it. It prints its bootstrap servers and lives until its stdin closes.
/// </summary>
public sealed class MockKafkaProcess : IAsyncDisposable
{
    private readonly Process _process;

    private MockKafkaProcess(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    public static async Task<MockKafkaProcess> StartAsync()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Binaries.TestSupport("ChatOps.MockKafka", "ChatOps.MockKafka.dll"));
        info.ArgumentList.Add("--brokers");
        info.ArgumentList.Add("3");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the mock Kafka cluster");
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("bootstrap.servers=", StringComparison.Ordinal))
                return new MockKafkaProcess(process, line["bootstrap.servers=".Length..]);
        }

        throw new InvalidOperationException("the mock Kafka cluster exited without printing its bootstrap servers");
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
