using System.Text.Json;
using ChatOps.Postgres.Internal;

namespace ChatOps.Postgres.Tests.Metrics;

/// <summary>The ingestor's hand-written label text must mean the same as the serializer's, key order included.</summary>
public sealed class MetricLabelsJsonTests
{
    public static TheoryData<Dictionary<string, string>> LabelSets() => new()
    {
        new Dictionary<string, string>(),
        new Dictionary<string, string> { ["mount"] = "/" },
        new Dictionary<string, string> { ["zone"] = "b", ["device"] = "sda1", ["Mount"] = "/var/lib <x> & 'y'" },
        new Dictionary<string, string> { ["quote"] = "say \"hi\"", ["path"] = "C:\\temp" },
        new Dictionary<string, string> { ["city"] = "Zürich", ["tab"] = "a\tb" },
    };

    [Theory]
    [MemberData(nameof(LabelSets))]
    public void Labels_become_the_same_json_object_as_the_serializer_makes_with_keys_in_ordinal_order(Dictionary<string, string> labels)
    {
        var text = MetricLabelsJson.From(labels);

        var parsed = JsonSerializer.Deserialize<Dictionary<string, string>>(text)!;
        Assert.Equal(labels.OrderBy(l => l.Key, StringComparer.Ordinal), parsed.OrderBy(l => l.Key, StringComparer.Ordinal));
        Assert.Equal(labels.Keys.Order(StringComparer.Ordinal), ReadKeys(text));
        Assert.Equal(ReadKeys(PostgresJson.FromLabels(labels)), ReadKeys(text));
    }

    [Fact]
    public void Plain_labels_are_written_compactly()
    {
        Assert.Equal("""{"a":"1","b":"2"}""", MetricLabelsJson.From(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" }));
        Assert.Equal("{}", MetricLabelsJson.From(null));
    }

    private static List<string> ReadKeys(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateObject().Select(property => property.Name)];
}
