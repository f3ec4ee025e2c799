using ChatOps.Core.Agents;
using Xunit.Abstractions;

namespace ChatOps.Agent.Tests.Support;

/// <summary>A real <see cref="AgentRunner"/> connected to a <see cref="TestGateway"/>, with its own folder.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public const string Token = "agent-token";
    public const string ServerId = "web-3";

    private const string AllowlistJson = """
        {
          "actions": {
            "print": {
              "argv": ["/usr/bin/printf", "%s\\n", "{value}"],
              "params": [ { "name": "value", "type": "text" } ]
            },
            "sleep": {
              "argv": ["/usr/bin/timeout", "600", "/usr/bin/sleep", "{seconds}"],
              "params": [ { "name": "seconds", "type": "integer", "min": 1, "max": 99999999 } ]
            },
            "flood": {
              "argv": ["/usr/bin/seq", "1", "{count}"],
              "params": [ { "name": "count", "type": "integer", "min": 1 } ]
            }
          }
        }
        """;

    private readonly CancellationTokenSource _stop = new();
    private readonly TempFolder _temp = new();

    private AgentHarness(ITestOutputHelper output, TimeProvider time, string presentedToken, int maxConcurrent, long maxOutputBytes)
    {
        Time = time;
        Logs = new CapturingLoggerFactory(output);
        Gateway = new TestGateway(Token, time);
        var options = new AgentOptions
        {
            ServerUrl = Gateway.Url,
            Token = presentedToken,
            ServerId = ServerId,
            AllowlistPath = _temp.Write("allowlist.json", AllowlistJson),
            StatePath = _temp.File("state.json"),
            MaxConcurrent = maxConcurrent,
            MaxOutputBytes = maxOutputBytes,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        Agent = new AgentRunner(options, Logs, time);
    }

    public TestGateway Gateway { get; }

    public AgentRunner Agent { get; }

    public CapturingLoggerFactory Logs { get; }

    public TimeProvider Time { get; }

    public Task Running { get; private set; } = Task.CompletedTask;

    public static AgentHarness Start(ITestOutputHelper output, TimeProvider? time = null, string presentedToken = Token, int maxConcurrent = 4, long maxOutputBytes = 1024 * 1024)
    {
        var harness = new AgentHarness(output, time ?? TimeProvider.System, presentedToken, maxConcurrent, maxOutputBytes);
        harness.Running = harness.Agent.RunAsync(harness._stop.Token);
        return harness;
    }

    public DispatchFrame Dispatch(string commandId, string action, params string[] positional) =>
        new(commandId, action, new Dictionary<string, string>(), positional, 1, 60_000, Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(5));

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Running.WaitAsync(TestGateway.Patience);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            // Dropping the gateway's connections first: a test that stopped reading would otherwise
            // leave the agent waiting for the answer to its close frame.
            await Gateway.DisposeAsync();
            await Running.WaitAsync(TestGateway.Patience);
        }
        finally
        {
            _temp.Dispose();
            _stop.Dispose();
        }
    }
}
