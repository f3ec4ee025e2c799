using YamlDotNet.RepresentationModel;

namespace ChatOps.Deploy.Tests;

/// <summary>Reads YAML files of the repository as plain node trees, with small helpers for lookups.</summary>
internal static class Yaml
{
    public static string RepoRoot { get; } = FindRoot();

    public static IReadOnlyList<YamlMappingNode> Documents(string relativePath)
    {
        using var reader = new StreamReader(Path.Combine(RepoRoot, relativePath));
        var stream = new YamlStream();
        // MergingParser resolves "<<: *anchor" merge keys, as docker compose does.
        stream.Load(new YamlDotNet.Core.MergingParser(new YamlDotNet.Core.Parser(reader)));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    public static YamlNode? At(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next)) return null;
            current = next;
        }

        return current;
    }

    public static string? Text(this YamlNode node, params string[] path) => (node.At(path) as YamlScalarNode)?.Value;

    public static IEnumerable<(string Key, YamlNode Value)> Entries(this YamlNode? node) =>
        node is YamlMappingNode map ? map.Children.Select(c => (((YamlScalarNode)c.Key).Value!, c.Value)) : [];

    public static IEnumerable<YamlNode> Items(this YamlNode? node) => node is YamlSequenceNode seq ? seq.Children : [];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ChatOps.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("ChatOps.sln");
    }
}
