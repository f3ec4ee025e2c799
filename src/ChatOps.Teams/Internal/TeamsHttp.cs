namespace ChatOps.Teams.Internal;

/// <summary>The adapter's own HttpClient, wrapped so it is never confused with one registered by someone else.</summary>
internal sealed class TeamsHttp(HttpClient client) : IDisposable
{
    public HttpClient Client { get; } = client;

    public void Dispose() => Client.Dispose();
}
