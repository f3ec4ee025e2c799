using System.Text.Json;
using ChatOps.Core.Events;
using Microsoft.AspNetCore.Http;

namespace ChatOps.Teams.Internal;

/// <summary>Reads an activity body within our limits: size, JSON depth 64, no duplicate keys.</summary>
internal static class ActivityReader
{
    /// <summary>The activity, or the status and message to refuse the request with.</summary>
    public static async Task<(Activity? Activity, int Status, string? Problem)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes) return (null, StatusCodes.Status413PayloadTooLarge, $"The activity is larger than {maxBytes} bytes.");
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, StatusCodes.Status415UnsupportedMediaType, "Send the activity as application/json.");

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes) return (null, StatusCodes.Status413PayloadTooLarge, $"The activity is larger than {maxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        // The serializer checks UTF-8 only in the fields it maps; refuse it everywhere (card data, fields
        // we do not read yet), as the other ingress routes do.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) return (null, StatusCodes.Status400BadRequest, "The body is not valid UTF-8.");
        try
        {
            var activity = JsonSerializer.Deserialize<Activity>(bytes, ChatOpsJson.Options);
            if (activity is null) return (null, StatusCodes.Status400BadRequest, "The body is empty.");
            if (string.IsNullOrEmpty(activity.Type)) return (null, StatusCodes.Status400BadRequest, "The activity has no type.");
            return (activity, StatusCodes.Status200OK, null);
        }
        catch (JsonException ex)
        {
            return (null, StatusCodes.Status400BadRequest, "The body is not a valid activity: " + ex.Message);
        }
    }
}
