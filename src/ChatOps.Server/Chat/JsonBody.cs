using System.Buffers;
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

        // One pooled buffer per request (bodies are small and capped), instead of a chunk plus a growing stream.
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize(request.ContentLength));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= MaxBytes + 1) return (null, TooLarge());
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, MaxBytes + 1) - length), request.HttpContext.RequestAborted);
                if (read == 0) break;
                length += read;
                if (length > MaxBytes) return (null, TooLarge());
            }

            return Parse<T>(buffer.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (T? Value, IResult? Error) Parse<T>(ReadOnlyMemory<byte> memory) where T : class
    {
        var body = memory.Span;
        // JSON on the wire is UTF-8 (RFC 8259); the parser only checks the strings it maps, so bad bytes in an
        // ignored field would otherwise slip through.
        if (!System.Text.Unicode.Utf8.IsValid(body))
            return (null, BadRequest("The body is not valid UTF-8."));

        try
        {
            // The serializer builds a JsonNode without looking for duplicate keys (it fails later, when the
            // object is first read), so a JsonNode body is checked by a document parse with the same limits.
            if (typeof(System.Text.Json.Nodes.JsonNode).IsAssignableFrom(typeof(T)))
                JsonDocument.Parse(memory, NodeCheck).Dispose();
            var value = JsonSerializer.Deserialize<T>(body, ChatOpsJson.Options);
            return value is null ? (null, BadRequest("The body is empty.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest($"The body is not valid JSON for this endpoint: {ex.Message}"));
        }
    }

    // The announced length when there is one (a wrong one only costs a resize), else a small start.
    private static int BufferSize(long? contentLength) =>
        contentLength is > 0 and <= MaxBytes ? (int)contentLength.Value + 1 : 1024;

    public static IResult BadRequest(string message) =>
        Results.Json(new { error = "bad_request", message }, statusCode: StatusCodes.Status400BadRequest);

    private static IResult TooLarge() =>
        Results.Json(new { error = "too_large", message = $"The body is larger than {MaxBytes} bytes." }, statusCode: StatusCodes.Status413PayloadTooLarge);
}
