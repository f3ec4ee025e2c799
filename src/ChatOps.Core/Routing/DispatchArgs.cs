namespace ChatOps.Core.Routing;

/// <summary>
/// A command's agent arguments as stored in <c>CommandRecord.Args</c>: named values under their
/// names, positional ones (the words after <c>run</c>'s action) under <c>$1</c>, <c>$2</c>, …
/// so one dictionary column keeps both without ambiguity (parameter names never start with <c>$</c>).
/// </summary>
public static class DispatchArgs
{
    public static IReadOnlyDictionary<string, string> Encode(IReadOnlyDictionary<string, string> named, IReadOnlyList<string> positional)
    {
        var all = new Dictionary<string, string>(named);
        for (var i = 0; i < positional.Count; i++) all["$" + (i + 1)] = positional[i];
        return all;
    }

    public static (IReadOnlyDictionary<string, string> Named, IReadOnlyList<string> Positional) Decode(IReadOnlyDictionary<string, string> args)
    {
        var named = args.Where(kv => !kv.Key.StartsWith('$')).ToDictionary(kv => kv.Key, kv => kv.Value);
        var positional = args.Where(kv => kv.Key.StartsWith('$'))
            .OrderBy(kv => int.TryParse(kv.Key.AsSpan(1), out var n) ? n : int.MaxValue)
            .Select(kv => kv.Value)
            .ToList();
        return (named, positional);
    }
}
