namespace ChatOps.Postgres.Internal;

/// <summary>
/// A sample's labels as jsonb text, written by hand: the ingestor does this for every sample, and the
/// serializer with a sorted copy of the map cost most of the ingestor's own CPU. Labels are short plain
/// strings; any that need escaping go through <see cref="PostgresJson.FromLabels"/> instead. The text
/// differs from the serializer's only where jsonb normalises anyway (it is never compared as text).
/// </summary>
internal static class MetricLabelsJson
{
    public static string From(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null || labels.Count == 0)
        {
            return PostgresJson.EmptyObject;
        }

        var length = 2 + (labels.Count - 1);
        foreach (var (key, value) in labels)
        {
            if (!IsPlain(key) || !IsPlain(value))
            {
                return PostgresJson.FromLabels(labels);
            }

            length += key.Length + value.Length + 5;
        }

        if (labels.Count == 1)
        {
            var (key, value) = labels.First();
            return string.Concat("{\"", key, "\":\"", value, "\"}");
        }

        var keys = new string[labels.Count];
        var i = 0;
        foreach (var key in labels.Keys)
        {
            keys[i++] = key;
        }

        Array.Sort(keys, StringComparer.Ordinal);
        return string.Create(length, (keys, labels), static (span, state) =>
        {
            var at = 0;
            span[at++] = '{';
            for (var k = 0; k < state.keys.Length; k++)
            {
                if (k > 0)
                {
                    span[at++] = ',';
                }

                at += Quote(span[at..], state.keys[k]);
                span[at++] = ':';
                at += Quote(span[at..], state.labels[state.keys[k]]);
            }

            span[at] = '}';
        });
    }

    private static int Quote(Span<char> span, string text)
    {
        span[0] = '"';
        text.CopyTo(span[1..]);
        span[text.Length + 1] = '"';
        return text.Length + 2;
    }

    /// <summary>Printable ASCII that JSON needs no escape for.</summary>
    private static bool IsPlain(string text)
    {
        foreach (var c in text)
        {
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            {
                return false;
            }
        }

        return true;
    }
}
