using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;

namespace ChatOps.Teams.Internal;

/// <summary>
/// The bot's outgoing token (OAuth2 client credentials at <see cref="TeamsOptions.TokenEndpoint"/>,
/// scope <c>https://api.botframework.com/.default</c>), cached until five minutes before it expires
/// and fetched by one caller at a time.
/// </summary>
internal sealed class ConnectorTokens(ResilientHttp http, TeamsOptions options, TimeProvider time)
{
    public const string Scope = "https://api.botframework.com/.default";

    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Token, DateTimeOffset RenewAt)? _current;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } cached && time.GetUtcNow() < cached.RenewAt) return cached.Token;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } fresh && time.GetUtcNow() < fresh.RenewAt) return fresh.Token;
            string body;
            try
            {
                body = await http.SendAsync(Request, "token request", cancellationToken);
            }
            catch (ChatDeliveryException ex)
            {
                // Its own code, so a refused token request is never mistaken for a refused token.
                throw new ChatDeliveryException(ResilientHttp.Platform, "token_" + ex.ErrorCode, "could not get the bot's token: " + ex.Message);
            }

            var (token, lifetime) = Parse(body);
            // Renew 5 minutes early; a token that lives shorter than twice that is renewed at half-life.
            var margin = lifetime > 2 * RefreshMargin ? RefreshMargin : lifetime / 2;
            _current = (token, time.GetUtcNow() + lifetime - margin);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets <paramref name="token"/> after the connector refused it (revoked, or the clock was off).</summary>
    public void Invalidate(string token)
    {
        if (_current is { } cached && cached.Token == token) _current = null;
    }

    private HttpRequestMessage Request() => new(HttpMethod.Post, options.TokenEndpoint)
    {
        Content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = options.AppId ?? "",
            ["client_secret"] = options.AppPassword ?? "",
            ["scope"] = Scope,
        }),
    };

    private static (string Token, TimeSpan Lifetime) Parse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = ChatOpsJson.MaxDepth });
            var root = document.RootElement;
            var token = root.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (string.IsNullOrEmpty(token)) throw new ChatDeliveryException(ResilientHttp.Platform, "token_invalid", "the token endpoint answered without an access_token");
            var seconds = root.TryGetProperty("expires_in", out var e) ? e.ValueKind switch
            {
                JsonValueKind.Number when e.TryGetInt32(out var n) => n,
                JsonValueKind.String when int.TryParse(e.GetString(), out var n) => n,
                _ => 0,
            } : 0;
            // No usable lifetime: assume a short one rather than caching forever.
            return (token, TimeSpan.FromSeconds(seconds > 0 ? seconds : 300));
        }
        catch (JsonException ex)
        {
            throw new ChatDeliveryException(ResilientHttp.Platform, "token_invalid", "the token endpoint answered with something that is not JSON: " + ex.Message);
        }
    }
}
