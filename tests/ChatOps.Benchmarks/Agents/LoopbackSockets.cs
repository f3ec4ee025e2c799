using System.Net;
using System.Net.Sockets;

namespace ChatOps.Benchmarks.Agents;

/// <summary>
/// One HTTP handler for thousands of WebSockets, each connection bound to one of several loopback source
/// addresses (127.0.0.2, .3, ...) in turn, so 10,000 connections plus those in TIME_WAIT after a restart
/// never run out of ephemeral ports on one address.
/// </summary>
public static class LoopbackSockets
{
    public static HttpMessageInvoker CreateInvoker(int sourceAddresses)
    {
        var next = -1;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var n = (uint)Interlocked.Increment(ref next) % (uint)sourceAddresses;
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(2 + n)]), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpMessageInvoker(handler);
    }
}
