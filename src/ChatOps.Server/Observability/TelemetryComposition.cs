using ChatOps.Core.Observability;
using ChatOps.Server.Hosting;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ChatOps.Server.Observability;

/// <summary>
/// Logs and traces of the <c>chatops</c> host: <c>ChatOps:Logging:Format</c> text (default) or json (one
/// JSON object per line with the trace and span ids), and spans of the <c>ChatOps</c> source, exported
/// over OTLP when <c>ChatOps:Telemetry:OtlpEndpoint</c> (or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) is set.
/// </summary>
public static class TelemetryComposition
{
    public const string ServiceName = "chatops";

    public static IReadOnlyList<string> AddChatOpsTelemetry(this WebApplicationBuilder builder, ChatOpsSettings settings)
    {
        var errors = new List<string>();
        var configuration = builder.Configuration;
        var format = (configuration["ChatOps:Logging:Format"] ?? "text").Trim().ToLowerInvariant();
        if (format is not ("text" or "json"))
            errors.Add($"ChatOps:Logging:Format must be text or json (got '{configuration["ChatOps:Logging:Format"]}')");

        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (format == "json")
        {
            builder.Logging.AddJsonConsole(json =>
            {
                // Scopes carry TraceId/SpanId (activity tracking), which is what joins a log line to its trace.
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }

        var endpointKey = configuration["ChatOps:Telemetry:OtlpEndpoint"] is { Length: > 0 } ? "ChatOps:Telemetry:OtlpEndpoint" : "OTEL_EXPORTER_OTLP_ENDPOINT";
        var endpointText = configuration[endpointKey];
        Uri? endpoint = null;
        if (!string.IsNullOrWhiteSpace(endpointText)
            && (!Uri.TryCreate(endpointText.Trim(), UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            errors.Add($"{endpointKey} must be an http:// or https:// URL, e.g. http://otel-collector:4317 (got '{endpointText}')");
            endpoint = null;
        }

        var services = string.Join(",", settings.Services.Order(StringComparer.Ordinal));
        // Spans are always recorded (so trace ids reach logs and other processes); exporting is opt-in.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(ServiceName, serviceInstanceId: Environment.MachineName)
                .AddAttributes([new KeyValuePair<string, object>("chatops.services", services)]))
            .WithTracing(tracing =>
            {
                tracing.AddSource(ChatOpsTracing.SourceName);
                if (endpoint is not null) tracing.AddOtlpExporter(otlp => otlp.Endpoint = endpoint);
            });
        return errors;
    }
}
