using System.Text.Json;

namespace ChatOps.EndToEnd.Tests.Trace;

/// <summary>A JSON log line of a ChatOps process (the built-in JSON console formatter), with the trace id of its scope.</summary>
public sealed record TraceLogLine(string Category, string Message, string? TraceId, string Raw)
{
    /// <summary>The JSON lines of a process's output; other lines (dotnet's own, stack traces) are skipped.</summary>
    public static IReadOnlyList<TraceLogLine> Parse(string output)
    {
        var lines = new List<TraceLogLine>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith('{')) continue;
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                string? traceId = null;
                if (root.TryGetProperty("Scopes", out var scopes))
                    foreach (var scope in scopes.EnumerateArray())
                        if (scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty("TraceId", out var id))
                            traceId = id.GetString();
                lines.Add(new TraceLogLine(root.GetProperty("Category").GetString() ?? "", root.GetProperty("Message").GetString() ?? "", traceId, line));
            }
            catch (JsonException)
            {
                // A line cut by the process ending; the assertions name what they miss.
            }
        }

        return lines;
    }

    /// <summary>The lines logged within trace <paramref name="traceId"/>.</summary>
    public static IReadOnlyList<TraceLogLine> InTrace(string output, string traceId) =>
        [.. Parse(output).Where(l => l.TraceId == traceId)];
}
