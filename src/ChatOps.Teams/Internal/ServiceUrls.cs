using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace ChatOps.Teams.Internal;

/// <summary>
/// Where our outgoing Bot Framework token may go: a serviceUrl that arrived in a validated activity,
/// or one of the configured prefixes. Anything else is refused before a request is made, so a forged
/// activity can never make us send the token to a host of its choosing.
/// </summary>
internal sealed class ServiceUrls
{
    private const int MaxRemembered = 1000;

    private readonly string[] _allowedPrefixes;
    private readonly ConcurrentDictionary<string, byte> _validated = new(StringComparer.OrdinalIgnoreCase);

    public ServiceUrls(TeamsOptions options)
    {
        _allowedPrefixes = options.AllowedServiceUrls.Append(options.ServiceUrl)
            .Select(url => TryNormalize(url, out var normal, out _) ? normal : null)
            .OfType<string>()
            .ToArray();
    }

    /// <summary>Remembers the serviceUrl of an activity whose token was valid and bound to it.</summary>
    public void RememberValidated(string serviceUrl)
    {
        if (!TryNormalize(serviceUrl, out var normal, out _)) return;
        // Teams uses a handful of regional URLs; a flood of distinct ones means something is off, and
        // forgetting one only means a later post needs a fresh activity or the allow list.
        if (_validated.Count >= MaxRemembered) _validated.Clear();
        _validated.TryAdd(normal, 0);
    }

    public bool IsTrusted(string? serviceUrl, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (!TryNormalize(serviceUrl, out var normal, out _)) return false;
        if (!_validated.ContainsKey(normal) && !_allowedPrefixes.Any(prefix => normal.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            return false;
        normalized = normal;
        return true;
    }

    /// <summary>
    /// An absolute https URL (http only on a loopback host, for local fakes), without query,
    /// fragment or credentials, ending in '/', with scheme and host in lowercase.
    /// </summary>
    public static bool TryNormalize(string? url, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        normalized = null;
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
        {
            problem = $"must be an absolute URL (got '{url}')";
            return false;
        }

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip));
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && loopback))
        {
            problem = $"must use https (plain http only on a loopback address; got '{url}')";
            return false;
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            problem = $"must not carry credentials, a query or a fragment (got '{url}')";
            return false;
        }

        var path = uri.AbsolutePath.EndsWith('/') ? uri.AbsolutePath : uri.AbsolutePath + "/";
        normalized = $"{uri.Scheme}://{uri.Authority.ToLowerInvariant()}{path}";
        problem = null;
        return true;
    }
}
