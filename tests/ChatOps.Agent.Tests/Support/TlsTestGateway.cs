using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ChatOps.Core.Agents;

namespace ChatOps.Agent.Tests.Support;

/// <summary>
/// A gateway stand-in over TLS: a loopback TCP listener with <see cref="SslStream"/> and its own WebSocket
/// upgrade, so a test controls the server certificate and sees the client certificate the agent presents.
/// </summary>
public sealed class TlsTestGateway : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate;
    private readonly TaskCompletionSource<(HelloFrame Hello, X509Certificate2? ClientCertificate)> _welcomed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _open = [];
    private readonly Task _accepting;

    public TlsTestGateway(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public string Url => $"wss://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/agents/connect";

    /// <summary>The first agent that got through TLS and said hello (it was welcomed).</summary>
    public Task<(HelloFrame Hello, X509Certificate2? ClientCertificate)> Welcomed => _welcomed.Task;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            lock (_open) _open.Add(client);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        lock (_open) _open.Add(tls);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateRequired = true,
                // Like the real gateway: any client certificate passes TLS; what it is gets checked afterwards.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, _stop.Token);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            // On Linux the client checks our certificate after the handshake, so a refusal usually shows
            // up below, as the connection closing before the upgrade request.
            return;
        }

        try
        {
            var key = await ReadUpgradeAsync(tls);
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), _stop.Token);
            var socket = WebSocket.CreateFromStream(tls, new WebSocketCreationOptions { IsServer = true });
            lock (_open) _open.Add(socket);
            var buffer = new byte[AgentProtocol.MaxFrameBytes];
            var received = await socket.ReceiveAsync(buffer, _stop.Token);
            var hello = (HelloFrame)AgentProtocol.Deserialize(buffer.AsSpan(0, received.Count));
            var welcome = Encoding.UTF8.GetBytes(AgentProtocol.Serialize(new WelcomeFrame(hello.ServerId, "tls-node", AgentProtocol.Version, 15, 30) { ConnectionId = "tls-conn" }));
            await socket.SendAsync(welcome, WebSocketMessageType.Text, true, _stop.Token);
            var presented = tls.RemoteCertificate is { } remote ? new X509Certificate2(remote) : null;
            _welcomed.TrySetResult((hello, presented));
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException or InvalidCastException)
        {
            // The agent went away; the test waits on what it expects, with a timeout.
        }
    }

    private async Task<string> ReadUpgradeAsync(Stream stream)
    {
        var request = new StringBuilder();
        var one = new byte[1];
        while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0) throw new IOException("closed during the upgrade request");
            request.Append((char)one[0]);
        }

        return request.ToString().Split("\r\n")
            .First(line => line.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_open)
        {
            foreach (var open in _open) open.Dispose();
        }

        await _accepting;
        _stop.Dispose();
    }
}
