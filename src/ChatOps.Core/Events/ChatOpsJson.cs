using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatOps.Core.Events;

/// <summary>
/// The one set of JSON options used for everything we read from the outside or the bus.
/// Depth is capped at 64 (JSON bombs) and property names are camelCase.
/// </summary>
public static class ChatOpsJson
{
    public const int MaxDepth = 64;

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            MaxDepth = MaxDepth,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            AllowDuplicateProperties = false,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Serialises an envelope to UTF-8 bytes (the wire form on Kafka and in dead letters).</summary>
    public static byte[] ToBytes(Envelope envelope) => JsonSerializer.SerializeToUtf8Bytes(envelope, Options);

    public static Envelope FromBytes(ReadOnlySpan<byte> bytes) =>
        JsonSerializer.Deserialize<Envelope>(bytes, Options) ?? throw new JsonException("empty envelope");
}
