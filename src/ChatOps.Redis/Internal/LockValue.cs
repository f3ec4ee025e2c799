using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatOps.Redis.Internal;

/// <summary>The JSON value of <c>lock:command:{server_id}</c>, as the lock scripts write it (times in Redis milliseconds).</summary>
internal sealed record LockValue(
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("token")] long Token,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("acquiredAt")] long AcquiredAt,
    [property: JsonPropertyName("expiresAt")] long ExpiresAt)
{
    public static LockValue Parse(string json, string key) =>
        JsonSerializer.Deserialize<LockValue>(json)
        ?? throw new InvalidDataException($"{key} holds no lock value");
}
