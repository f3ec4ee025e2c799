using System.Collections.Concurrent;
using ChatOps.Agent.Tests.Support;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Tests.Connection;

/// <summary>
/// wss:// with certificates made on the spot: the agent trusts the gateway only through its CA file (or the
/// system store) and an optional pin, never "accept any", and presents its client certificate.
/// </summary>
public sealed class AgentTlsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TempFolder _temp = new();
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _authority = TestCertificates.Authority("ChatOps test CA");

    [Fact]
    public async Task A_gateway_certificate_from_the_ca_file_is_trusted_and_the_client_certificate_is_presented()
    {
        var server = TestCertificates.Server(_authority);
        var client = TestCertificates.Client("agent web-3");
        await using var gateway = new TlsTestGateway(server);
        var options = Options(gateway.Url);
        options.ClientCertificateFile = TestCertificates.WritePem(client, _temp.Path, "client").Certificate;
        options.ClientKeyFile = _temp.File("client.key");
        options.ServerCertificateSha256 = TestCertificates.Sha256(server);

        await using var agent = Start(options, new WaitingLogs());
        var (hello, presented) = await gateway.Welcomed.WaitAsync(Patience);

        Assert.Equal("web-3", hello.ServerId);
        Assert.NotNull(presented);
        Assert.Equal(TestCertificates.Sha256(client), TestCertificates.Sha256(presented));
    }

    [Fact]
    public async Task A_gateway_certificate_from_another_authority_is_refused()
    {
        var stranger = TestCertificates.Server(TestCertificates.Authority("Someone else's CA"));
        await using var gateway = new TlsTestGateway(stranger);
        var logs = new WaitingLogs();

        await using var agent = Start(Options(gateway.Url), logs);

        var line = await logs.WaitForAsync("refusing the gateway's TLS certificate");
        Assert.Contains("does not chain to the configured CA file", line);
        Assert.False(gateway.Welcomed.IsCompleted);
    }

    [Fact]
    public async Task A_gateway_certificate_that_chains_but_is_not_the_pinned_one_is_refused()
    {
        await using var gateway = new TlsTestGateway(TestCertificates.Server(_authority));
        var options = Options(gateway.Url);
        options.ServerCertificateSha256 = TestCertificates.Sha256(TestCertificates.Server(_authority));
        var logs = new WaitingLogs();

        await using var agent = Start(options, logs);

        var line = await logs.WaitForAsync("refusing the gateway's TLS certificate");
        Assert.Contains("is not the pinned one", line);
        Assert.False(gateway.Welcomed.IsCompleted);
    }

    [Fact]
    public void Tls_options_are_checked_at_start_each_problem_naming_its_key()
    {
        var options = Options("ws://gateway.example:8080/agents/connect");
        options.ClientCertificateFile = _temp.Write("only-cert.pem", "x");
        options.ServerCertificateSha256 = "not-a-hash";

        var problems = options.Validate();

        Assert.Contains(problems, p => p.StartsWith("ServerUrl:", StringComparison.Ordinal) && p.Contains("wss://", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ClientCertificateFile:", StringComparison.Ordinal) && p.Contains("key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ServerCertificateSha256:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_ca_file_without_certificates_stops_the_agent_with_a_clear_problem()
    {
        var options = Options("wss://127.0.0.1:1/agents/connect");
        options.CaFile = _temp.Write("empty-ca.pem", "no certificates here\n");

        var failure = Assert.Throws<AgentStartupException>(() => new AgentRunner(options, new WaitingLogs(), TimeProvider.System));

        Assert.Contains(failure.Problems, p => p.StartsWith("CaFile:", StringComparison.Ordinal));
    }

    public void Dispose() => _temp.Dispose();

    private AgentOptions Options(string url) => new()
    {
        ServerUrl = url,
        Token = "agent-token",
        ServerId = "web-3",
        AllowlistPath = _temp.Write("allowlist.json", """{ "actions": { "hello": { "argv": ["/usr/bin/printf", "hello"] } } }"""),
        StatePath = _temp.File("state.json"),
        CaFile = TestCertificates.WritePem(_authority, _temp.Path, "ca").Certificate,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
    };

    private static RunningAgent Start(AgentOptions options, WaitingLogs logs) => new(new AgentRunner(options, logs, TimeProvider.System));

    private sealed class RunningAgent : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public RunningAgent(AgentRunner agent) => _run = agent.RunAsync(_stop.Token);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(Patience);
            _stop.Dispose();
        }
    }

    /// <summary>Log lines, with a wait for the first one containing a text.</summary>
    private sealed class WaitingLogs : ILoggerFactory, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly List<(string Text, TaskCompletionSource<string> Done)> _waiters = [];

        public async Task<string> WaitForAsync(string text)
        {
            var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiters)
            {
                if (_lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } seen) return seen;
                _waiters.Add((text, done));
            }

            try
            {
                return await done.Task.WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"no log line with '{text}'; lines:\n{string.Join("\n", _lines)}");
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel}: {formatter(state, exception)}";
            lock (_waiters)
            {
                _lines.Enqueue(line);
                foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    _waiters.Remove(waiter);
                    waiter.Done.TrySetResult(line);
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
