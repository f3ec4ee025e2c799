using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace ChatOps.Teams.Internal;

/// <summary>
/// The Bot Framework's signing keys: OpenID metadata and its JWKS through a
/// <see cref="ConfigurationManager{T}"/> (cached, refreshed daily), plus a forced reload when a token
/// names a key id we do not know (keys rotate), at most once per
/// <see cref="TeamsOptions.KeyRefreshMinInterval"/>.
/// </summary>
internal sealed partial class SigningKeys
{
    private static readonly TimeSpan AutomaticRefresh = TimeSpan.FromHours(24);

    private readonly TeamsOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reloadGate = new(1, 1);
    private ConfigurationManager<OpenIdConnectConfiguration> _manager;
    private DateTimeOffset? _lastReload;

    public SigningKeys(TeamsOptions options, HttpClient http, TimeProvider time, ILogger logger)
    {
        _options = options;
        _http = http;
        _time = time;
        _logger = logger;
        _manager = CreateManager();
    }

    /// <summary>The key with this id and the channels it is endorsed for, or null when unknown even after a reload.</summary>
    public async Task<EndorsedKey?> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var configuration = await _manager.GetConfigurationAsync(cancellationToken);
        return Find(configuration, kid) ?? await ReloadAndFindAsync(kid, cancellationToken);
    }

    private async Task<EndorsedKey?> ReloadAndFindAsync(string kid, CancellationToken cancellationToken)
    {
        await _reloadGate.WaitAsync(cancellationToken);
        try
        {
            // A reload by a concurrent request may already have brought the key.
            if (Find(await _manager.GetConfigurationAsync(cancellationToken), kid) is { } found) return found;

            var now = _time.GetUtcNow();
            if (_lastReload is { } last && now - last < _options.KeyRefreshMinInterval) return null;
            _lastReload = now;

            // RequestRefresh() reloads in the background in this library version; a fresh manager's
            // first fetch is awaited, so the request that saw the new kid can use it at once.
            var fresh = CreateManager();
            OpenIdConnectConfiguration configuration;
            try
            {
                configuration = await fresh.GetConfigurationAsync(cancellationToken);
            }
            catch (InvalidOperationException ex)
            {
                LogReloadFailed(kid, ex.Message);
                return null;
            }

            _manager = fresh;
            LogReloaded(kid, configuration.JsonWebKeySet?.Keys.Count ?? 0);
            return Find(configuration, kid);
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    private ConfigurationManager<OpenIdConnectConfiguration> CreateManager()
    {
        var retriever = new HttpDocumentRetriever(_http) { RequireHttps = RequiresHttps(_options.OpenIdMetadataUrl) };
        return new ConfigurationManager<OpenIdConnectConfiguration>(_options.OpenIdMetadataUrl, new OpenIdConnectConfigurationRetriever(), retriever)
        {
            AutomaticRefreshInterval = AutomaticRefresh,
        };
    }

    // Options validation already refused http except on loopback (a local fake in tests).
    private static bool RequiresHttps(string url) => !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    private static EndorsedKey? Find(OpenIdConnectConfiguration configuration, string kid)
    {
        var jwk = configuration.JsonWebKeySet?.Keys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));
        if (jwk is null) return null;
        var signing = configuration.SigningKeys.FirstOrDefault(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal));
        return signing is null ? null : new EndorsedKey(signing, Endorsements(jwk));
    }

    // JsonWebKey has no property for the Bot Framework's "endorsements"; the parser keeps it in AdditionalData.
    private static IReadOnlyList<string> Endorsements(JsonWebKey key)
    {
        if (!key.AdditionalData.TryGetValue("endorsements", out var value)) return [];
        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray()
                .Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray(),
            IEnumerable<string> strings => strings.ToArray(),
            _ => [],
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Teams signing keys reloaded for unknown key id {Kid}: {Count} key(s)")]
    private partial void LogReloaded(string kid, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Teams signing keys could not be reloaded for key id {Kid}: {Reason}")]
    private partial void LogReloadFailed(string kid, string reason);
}

/// <summary>A signing key and the channels (e.g. <c>msteams</c>) it is endorsed for.</summary>
internal sealed record EndorsedKey(SecurityKey Key, IReadOnlyList<string> Endorsements);
