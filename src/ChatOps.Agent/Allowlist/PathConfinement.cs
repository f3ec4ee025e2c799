using System.Buffers;

namespace ChatOps.Agent.Allowlist;

/// <summary>
/// Canonicalises a path value and confines it to a root, following symbolic links the way the
/// kernel will when the program opens it (Salt CVE-2020-11652 and CVE-2024-38824).
/// </summary>
internal static class PathConfinement
{
    private const int MaxSymbolicLinks = 40;

    // Characters that a decoder, a normaliser or a human may read as '.', '/' or '\'. The file system
    // treats them as plain characters, but a value that relies on them is an attack, not a file name.
    private static readonly SearchValues<char> Lookalikes = SearchValues.Create(
        "\u2024\u2025\u2026\uFE52\u3002\uFF61\u2215\u2044\u29F8\u29F9\u2216\uFE68");

    public static ConfinedPath Confine(string root, string value)
    {
        if (value.Length == 0)
        {
            return ConfinedPath.Fail("is empty");
        }

        if (ContainsPercentEncoding(value))
        {
            return ConfinedPath.Fail("must not contain %-encoded characters");
        }

        if (value.Contains('\\', StringComparison.Ordinal))
        {
            return ConfinedPath.Fail("must not contain backslashes");
        }

        if (value.AsSpan().IndexOfAny(Lookalikes) >= 0 || value.AsSpan().IndexOfAnyInRange('\uFF00', '\uFFEF') >= 0)
        {
            return ConfinedPath.Fail("contains fullwidth or lookalike dots or slashes");
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            return ConfinedPath.Fail("contains a NUL character");
        }

        string full;
        try
        {
            full = Path.GetFullPath(value, root);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ConfinedPath.Fail("is not a valid path");
        }

        if (!IsUnder(root, full))
        {
            return ConfinedPath.Fail($"is outside the allowed folder {root}");
        }

        var real = ResolveSymbolicLinks(full);
        if (real is null)
        {
            return ConfinedPath.Fail("goes through too many symbolic links");
        }

        return IsUnder(root, real)
            ? ConfinedPath.Ok(real)
            : ConfinedPath.Fail($"leads outside the allowed folder {root} through a symbolic link");
    }

    /// <summary>Canonicalises a configured root; null when it is not an existing absolute folder.</summary>
    public static string? CanonicalRoot(string root)
    {
        if (!Path.IsPathFullyQualified(root) || root.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        var real = ResolveSymbolicLinks(Path.GetFullPath(root));
        if (real is null || !Directory.Exists(real))
        {
            return null;
        }

        return real.Length > 1 ? real.TrimEnd('/') : real;
    }

    public static bool IsUnder(string root, string path) =>
        root == "/"
        || string.Equals(path, root, StringComparison.Ordinal)
        || (path.StartsWith(root, StringComparison.Ordinal) && path.Length > root.Length && path[root.Length] == '/');

    /// <summary>
    /// Resolves every symbolic link along an absolute path, component by component; the part of the
    /// path that does not exist yet is kept as written. Null on a link loop.
    /// </summary>
    internal static string? ResolveSymbolicLinks(string absolutePath)
    {
        var pending = new Stack<string>();
        PushComponents(pending, absolutePath);
        var current = "/";
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            var candidate = current == "/" ? "/" + part : current + "/" + part;
            var target = ReadLink(candidate);
            if (target is null)
            {
                current = candidate;
                continue;
            }

            if (++links > MaxSymbolicLinks)
            {
                return null;
            }

            if (target.StartsWith('/'))
            {
                current = "/";
            }

            PushComponents(pending, target);
        }

        return current;
    }

    private static void PushComponents(Stack<string> pending, string path)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool ContainsPercentEncoding(string value)
    {
        for (var i = 0; i + 2 < value.Length; i++)
        {
            if (value[i] == '%' && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
            {
                return true;
            }
        }

        return false;
    }
}

internal readonly record struct ConfinedPath(string? Path, string? Error)
{
    public static ConfinedPath Ok(string path) => new(path, null);

    public static ConfinedPath Fail(string error) => new(null, error);
}
