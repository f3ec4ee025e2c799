using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Agents;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ChatOps.Server.Tests;

/// <summary>
/// Fuzzing of <c>/agents/connect</c> from an enrolled agent, over the real WebSocket: after hello, hostile
/// frames (well-typed frames with hostile values, server-only frames, truncated JSON, binary and oversized
/// frames) are either taken or refused with an error frame and a close; the endpoint never throws, and a
/// fresh connection is welcomed afterwards. Seeded: a failure names its seed and the frame.
/// </summary>
public sealed class AgentSocketFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Iterations = 200;

    private static readonly string[] Hostile =
    [
        "", "web-1", "web-2", "x", "../../etc/shadow", "; rm -rf /", "$(id)", "\u202E", "\u200B", "\u001B[2J", "<script>alert(1)</script>", "{{7*7}}",
        "stdout", "stderr", "succeeded", "failed", "not_allowed", "\uD800", new string('z', 10_000),
    ];

    private readonly ErrorLog _errors = new();
    private ChatOpsApp _app = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _app = new ChatOpsApp(services: s => s.AddSingleton<ILoggerProvider>(_errors));
        _token = Secrets.NewToken("agt_");
        await _app.Get<IServerStore>().UpsertAsync(new ChatOps.Core.Domain.Server("web-1", null, [], DateTimeOffset.UtcNow));
        await _app.Get<IAgentCredentialStore>().EnrollAsync("web-1", Secrets.Hash(_token), DateTimeOffset.UtcNow);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Hostile_frames_from_an_enrolled_agent_are_taken_or_refused_and_never_crash_the_endpoint()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var refused = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var (kind, bytes) = Frame(random, i);
            var context = $"seed {seed}, iteration {i}, {kind}: {Shorten(Encoding.UTF8.GetString(bytes))}";
            using var socket = await ConnectAsync();

            await socket.SendAsync(bytes, kind == "binary" ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
            await CloseOutputAsync(socket);
            var answers = await DrainAsync(socket, context);
            if (socket.CloseStatus == WebSocketCloseStatus.MessageTooBig)
            {
                refused++;
                Assert.True(bytes.Length > AgentProtocol.MaxFrameBytes, $"closed as too big at {bytes.Length} bytes; {context}");
            }
            else if (socket.CloseStatus == WebSocketCloseStatus.PolicyViolation)
            {
                refused++;
                Assert.True(kind == "binary" || answers.OfType<ErrorFrame>().Any(), $"closed without an error frame; {context}");
            }

            // The endpoint's own log line may trail its socket's end by a moment: a failure names this frame or the one before.
            Assert.True(_errors.Lines.IsEmpty, $"{string.Join('\n', _errors.Lines)}\nseen after {context}");
        }

        output.WriteLine($"seed {seed}: {Iterations} frames, {refused} refused");
        using var fresh = await ConnectAsync();
        Assert.Equal(WebSocketState.Open, fresh.State);
        Assert.True(_errors.Lines.IsEmpty, $"{string.Join('\n', _errors.Lines)}\nseed {seed}");
    }

    /// <summary>Opens an agent connection for web-1 and completes hello → welcome.</summary>
    [Theory]
    [InlineData("{}")]
    [InlineData("{\"commandId\":\"x\"}")]
    [InlineData("{\"type\":\"output\"}")]
    [InlineData("{\"type\":\"metrics\"}")]
    [InlineData("{\"type\":\"result\",\"commandId\":null,\"status\":\"succeeded\"}")]
    public async Task A_frame_missing_its_type_or_fields_is_refused_with_an_error_frame(string frame)
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

        Assert.IsType<ErrorFrame>(await ReceiveAsync(socket));
        Assert.True(_errors.Lines.IsEmpty, string.Join('\n', _errors.Lines));
    }

    private async Task<WebSocket> ConnectAsync()
    {
        var client = _app.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + _token;
        var socket = await client.ConnectAsync(new Uri(_app.Server.BaseAddress, "agents/connect"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await SendAsync(socket, new HelloFrame("web-1", AgentProtocol.Version, "fuzz", "fuzz-host", ["uptime"]));
        Assert.IsType<WelcomeFrame>(await ReceiveAsync(socket));
        return socket;
    }

    private static Task SendAsync(WebSocket socket, AgentFrame frame) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(AgentProtocol.Serialize(frame)), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<AgentFrame?> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[AgentProtocol.MaxFrameBytes];
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (result.MessageType == WebSocketMessageType.Close) return null;
            count += result.Count;
            if (result.EndOfMessage) return AgentProtocol.Deserialize(buffer.AsSpan(0, count));
        }
    }

    /// <summary>Reads what the server says until it closes (it answers our close, or closes first on a violation).</summary>
    // A refused frame may have ended the socket already (the endpoint returned): then there is nothing to close.
    private static async Task CloseOutputAsync(WebSocket socket)
    {
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // as in DrainAsync: whether the endpoint returned cleanly shows in the error log
        }
    }

    private static async Task<List<AgentFrame>> DrainAsync(WebSocket socket, string context)
    {
        var frames = new List<AgentFrame>();
        try
        {
            while (await ReceiveAsync(socket) is { } frame) frames.Add(frame);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The in-memory test server ends the socket when the endpoint returns, with or without a close frame;
            // whether it returned cleanly shows in the error log (an exception thrown by the endpoint lands there).
        }

        return frames;
    }

    private static (string Kind, byte[] Bytes) Frame(Random random, int i)
    {
        string Text() => Hostile[random.Next(Hostile.Length)];
        string Id() => random.Next(3) == 0 ? $"c-{i}" : Text();
        var now = DateTimeOffset.UtcNow;
        AgentFrame typed = random.Next(11) switch
        {
            0 => new OutputFrame(Id(), random.NextInt64(), Text(), Text()),
            1 => new AcceptedFrame(Id()),
            2 => new RejectedFrame(Id(), Text(), Text()),
            3 => new ResultFrame(Id(), Text(), random.Next(), random.NextInt64(), random.Next(2) == 0, random.NextInt64()),
            4 => new HeartbeatFrame(random.NextInt64(), random.Next(2) == 0 ? DateTimeOffset.MinValue : now),
            5 => new MetricsFrame(now, Enumerable.Range(0, random.Next(0, 700)).Select(_ => new ChatOps.Core.Domain.MetricSample(Text(), new Dictionary<string, string> { [Text()] = Text() }, random.NextDouble())).ToList()),
            6 => new HelloFrame(random.Next(2) == 0 ? "web-1" : Text(), random.Next(-1, 3), Text(), Text(), [Text()]),
            7 => new WelcomeFrame(Text(), Text(), 1, 1, 1),
            8 => new DispatchFrame(Id(), Text(), new Dictionary<string, string>(), [Text()], random.NextInt64(), 1, now, now),
            9 => new CancelFrame(Id()),
            _ => new ErrorFrame(Text()),
        };
        var json = AgentProtocol.Serialize(typed);
        return random.Next(10) switch
        {
            0 => ("truncated", Encoding.UTF8.GetBytes(json[..random.Next(1, json.Length - 1)])),
            1 => ("binary", Encoding.UTF8.GetBytes(json)),
            2 when i % 20 == 2 => ("oversized", Encoding.UTF8.GetBytes(json[..^1] + ",\"pad\":\"" + new string('p', AgentProtocol.MaxFrameBytes) + "\"}")),
            3 => ("not json", Encoding.UTF8.GetBytes(Text() + "]")),
            _ => (typed.GetType().Name, Encoding.UTF8.GetBytes(json)),
        };
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>Keeps every log entry at Error or above, with its exception: any of them is a failure here.</summary>
    private sealed class ErrorLog : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ErrorLog log, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) log.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}");
            }
        }
    }
}
