namespace ChatOps.Core.Commands;

/// <summary>Suggestions for mistyped names: a transposition, a missing or extra letter.</summary>
internal static class DidYouMean
{
    public const int MaxDistance = 2;

    // Longer words are not typos of a command name; skip the quadratic work.
    private const int MaxWordLength = 64;

    /// <summary>
    /// The candidate closest to <paramref name="word"/> (case-insensitive) within
    /// <see cref="MaxDistance"/> edits, else the only candidate it is a prefix of (3+ letters);
    /// ties go to the earlier candidate. Null when nothing is close.
    /// </summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        if (string.IsNullOrEmpty(word) || word.Length > MaxWordLength) return null;

        var lower = word.ToLowerInvariant();
        string? best = null;
        var bestDistance = MaxDistance + 1;
        var prefixOf = new List<string>();
        foreach (var candidate in candidates)
        {
            if (string.IsNullOrEmpty(candidate)) continue;

            var target = candidate.ToLowerInvariant();
            if (target == lower) return candidate;
            if (lower.Length >= 3 && target.StartsWith(lower, StringComparison.Ordinal)) prefixOf.Add(candidate);
            if (Math.Abs(target.Length - lower.Length) > MaxDistance) continue;

            var distance = Distance(lower, target);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best ?? (prefixOf.Count == 1 ? prefixOf[0] : null);
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment: adjacent swaps count 1).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
