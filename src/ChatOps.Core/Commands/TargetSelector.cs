using System.Diagnostics.CodeAnalysis;
using ChatOps.Core.Domain;

namespace ChatOps.Core.Commands;

public enum TargetKind
{
    /// <summary>One server by id: <c>web-3</c>.</summary>
    Id,

    /// <summary>Server ids matching <c>*</c> (any run) and <c>?</c> (one character): <c>web-*</c>.</summary>
    Glob,

    /// <summary>Servers carrying a <c>key:value</c> tag: <c>role:web</c>.</summary>
    Tag,
}

/// <summary>
/// Which servers a command is for: a server id, a glob over ids, or a tag. Ids and globs are
/// compared in lowercase (server ids are lowercase); tags ignore case.
/// </summary>
public sealed class TargetSelector
{
    public const int MaxLength = 253;

    private TargetSelector(TargetKind kind, string expression, string? tagKey, string? tagValue)
    {
        Kind = kind;
        Expression = expression;
        TagKey = tagKey;
        TagValue = tagValue;
    }

    public TargetKind Kind { get; }

    /// <summary>The normalised expression (lowercase for ids and globs), as it should be stored.</summary>
    public string Expression { get; }

    public string? TagKey { get; }

    public string? TagValue { get; }

    public static bool TryParse(string? expression, [NotNullWhen(true)] out TargetSelector? selector, [NotNullWhen(false)] out string? error)
    {
        selector = null;
        var text = (expression ?? "").Trim();
        if (text.Length == 0)
        {
            error = "The target is empty: give a server id (web-3), a glob (web-*) or a tag (role:web).";
            return false;
        }

        if (text.Length > MaxLength)
        {
            error = $"The target is too long (max {MaxLength} characters).";
            return false;
        }

        if (!TextHygiene.IsAsciiName(text, out var problem, out var skeleton))
        {
            error = skeleton is null ? $"{problem}." : $"{problem}; did you mean `{skeleton.ToLowerInvariant()}`?";
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            var key = text[..colon].ToLowerInvariant();
            var value = text[(colon + 1)..];
            if (!IsName(key, allowWildcards: false, allowSlash: false) || !IsName(value, allowWildcards: false, allowSlash: true))
            {
                error = $"{UserText.Code(text)} is not a valid tag: use key:value with letters, digits and . _ - (e.g. role:web).";
                return false;
            }

            selector = new TargetSelector(TargetKind.Tag, $"{key}:{value}", key, value);
            error = null;
            return true;
        }

        var lower = text.ToLowerInvariant();
        var isGlob = lower.AsSpan().IndexOfAny('*', '?') >= 0;
        if (!IsName(lower, allowWildcards: isGlob, allowSlash: false))
        {
            error = isGlob
                ? $"{UserText.Code(text)} is not a valid glob: use lowercase letters, digits, . _ - and the wildcards * and ? (e.g. web-*)."
                : $"{UserText.Code(text)} is not a valid server id: use lowercase letters, digits and . _ -, starting with a letter or digit.";
            return false;
        }

        selector = new TargetSelector(isGlob ? TargetKind.Glob : TargetKind.Id, lower, null, null);
        error = null;
        return true;
    }

    public bool Matches(Server server)
    {
        if (server?.Id is null) return false;

        return Kind switch
        {
            TargetKind.Id => string.Equals(server.Id, Expression, StringComparison.OrdinalIgnoreCase),
            TargetKind.Glob => GlobMatches(Expression, server.Id.ToLowerInvariant()),
            TargetKind.Tag => server.Tags?.Any(tag => string.Equals(tag, Expression, StringComparison.OrdinalIgnoreCase)) ?? false,
            _ => false,
        };
    }

    /// <summary>The matching servers, ordered by id so fan-out order is stable.</summary>
    public IReadOnlyList<Server> Select(IEnumerable<Server> servers) =>
        (servers ?? []).Where(Matches).OrderBy(server => server.Id, StringComparer.Ordinal).ToList();

    public override string ToString() => Expression;

    // [a-z0-9][a-z0-9._-]* (plus '/' in tag values, and '*' '?' anywhere in globs).
    private static bool IsName(string text, bool allowWildcards, bool allowSlash)
    {
        if (text.Length == 0) return false;

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var ok = char.IsAsciiLetterOrDigit(c)
                || (i > 0 && c is '.' or '_' or '-')
                || (i > 0 && allowSlash && c == '/')
                || (allowWildcards && c is '*' or '?');
            if (!ok) return false;
        }

        return true;
    }

    // Iterative wildcard match with single-star backtracking: linear in practice, no regex.
    private static bool GlobMatches(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
