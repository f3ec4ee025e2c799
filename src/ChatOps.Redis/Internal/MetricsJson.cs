using System.Text.Json;
using System.Text.Json.Serialization;
using ChatOps.Core.Domain;

namespace ChatOps.Redis.Internal;

/// <summary>
/// The JSON of <c>metrics:latest:{server_id}</c>. Its own small records, so renaming a domain property
/// never silently changes what other nodes (possibly on an older version) read.
/// </summary>
internal static class MetricsJson
{
    // Agents may report NaN (e.g. a load average that could not be read); JSON has no NaN without this.
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static string Write(MetricSnapshot snapshot) => JsonSerializer.Serialize(
        new StoredSnapshot(
            snapshot.ServerId,
            snapshot.At,
            [.. snapshot.Samples.Select(s => new StoredSample(s.Name, new Dictionary<string, string>(s.Labels, StringComparer.Ordinal), s.Value))]),
        Options);

    public static MetricSnapshot Read(string json, string key)
    {
        var stored = JsonSerializer.Deserialize<StoredSnapshot>(json, Options)
            ?? throw new InvalidDataException($"{key} holds no snapshot");
        return new MetricSnapshot(
            stored.ServerId,
            stored.At,
            [.. (stored.Samples ?? []).Select(s => new MetricSample(s.Name, s.Labels ?? new Dictionary<string, string>(), s.Value))]);
    }

    private sealed record StoredSnapshot(string ServerId, DateTimeOffset At, List<StoredSample>? Samples);

    private sealed record StoredSample(string Name, Dictionary<string, string>? Labels, double Value);
}
