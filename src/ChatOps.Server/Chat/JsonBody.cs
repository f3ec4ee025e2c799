using System.Text.Json;
using ChatOps.Core.Events;

namespace ChatOps.Server.Chat;

/// <summary>
/// Reads a JSON request body with our limits (size, depth 64, no duplicate keys). A bad body gets a
/// 400 (or 413) that says what is wrong; never a stack trace.
/// </summary>
public static class JsonBody
{
    public const int MaxBytes = 64 * 1024;

    private static readonly JsonDocumentOptions NodeCheck = new() { MaxDepth = ChatOpsJson.MaxDepth, AllowDuplicateProperties = false };

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (request.ContentLength > MaxBytes)
            return (null, TooLarge());
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Results.Json(new { error = "unsupported_media_type", message = "Send the body as application/json." }, statusCode: StatusCodes.Status415UnsupportedMediaType));

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes) return (null, TooLarge());
            buffer.Write(chunk, 0, read);
        }

        // JSON on the wire is UTF-8 (RFC 8259); the parser only checks the strings it maps, so bad bytes in an
        // ignored field would otherwise slip through.
        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (!System.Text.Unicode.Utf8.IsValid(body))
            return (null, BadRequest("The body is not valid UTF-8."));

        try
        {
            // The serializer builds a JsonNode without looking for duplicate keys (it fails later, when the
            // object is first read), so a JsonNode body is checked by a document parse with the same limits.
            if (typeof(System.Text.Json.Nodes.JsonNode).IsAssignableFrom(typeof(T)))
                JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), NodeCheck).Dispose();
            var value = JsonSerializer.Deserialize<T>(body, ChatOpsJson.Options);
            return value is null ? (null, BadRequest("The body is empty.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest($"The body is not valid JSON for this endpoint: {ex.Message}"));
        }
    }

    public static IResult BadRequest(string message) =>
        Results.Json(new { error = "bad_request", message }, statusCode: StatusCodes.Status400BadRequest);

    private static IResult TooLarge() =>
        Results.Json(new { error = "too_large", message = $"The body is larger than {MaxBytes} bytes." }, statusCode: StatusCodes.Status413PayloadTooLarge);
}
