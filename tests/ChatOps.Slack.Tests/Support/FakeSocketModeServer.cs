using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Tests.Support;

/// <summary>Slack's Socket Mode end: a local WebSocket server (Kestrel) that hands each connection to the test.</summary>
public sealed class FakeSocketModeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<SocketModeConnection> _connections = Channel.CreateUnbounded<SocketModeConnection>();
    private readonly CancellationTokenSource _stopping = new();

    private FakeSocketModeServer(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<FakeSocketModeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeSocketModeServer(app);
        app.UseWebSockets();
        app.Map("/link", server.AcceptAsync);
        await app.StartAsync();
        server.Url = app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/link";
        return server;
    }

    /// <summary>The next connection the client opens.</summary>
    public async Task<SocketModeConnection> NextConnectionAsync(int seconds = 10) =>
        await _connections.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(seconds));

    private async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = new SocketModeConnection(socket);
        await _connections.Writer.WriteAsync(connection);
        try
        {
            await connection.Finished.WaitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // server stopping
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}

/// <summary>One client connection, seen from Slack's side.</summary>
public sealed class SocketModeConnection(WebSocket socket)
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Task Finished => _finished.Task;

    public Task SendAsync(object frame) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>The next frame the client sends (an acknowledgement), parsed.</summary>
    public async Task<JsonElement> ReceiveAsync(int seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var buffer = new byte[64 * 1024];
        using var frame = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("the client closed the socket");
            frame.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(frame.ToArray()));
        return document.RootElement.Clone();
    }

    /// <summary>Ends the connection from Slack's side (the socket closes when the server handler returns).</summary>
    public void Drop() => _finished.TrySetResult();
}
