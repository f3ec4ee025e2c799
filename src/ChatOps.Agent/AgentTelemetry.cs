using ChatOps.Core.Observability;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ChatOps.Agent;

/// <summary>
/// The executable's logs and traces: readable single lines by default or JSON lines (with the trace
/// and span ids of the command being run), and the agent's spans exported over OTLP when an endpoint is set.
/// </summary>
internal static class AgentTelemetry
{
    public const string ServiceName = "chatops-agent";

    public static ILoggerFactory CreateLoggerFactory(AgentOptions options) => LoggerFactory.Create(logging =>
    {
        logging.SetMinimumLevel(LogLevel.Information);
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (options.LogFormat == "json")
        {
            logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    });

    /// <summary>
    /// Listens to the <c>ChatOps</c> source always, so trace ids reach the logs and the result frames even
    /// when nothing is exported.
    /// </summary>
    public static TracerProvider CreateTracerProvider(AgentOptions options)
    {
        var builder = Sdk.CreateTracerProviderBuilder()
            .AddSource(ChatOpsTracing.SourceName)
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(ServiceName, serviceInstanceId: options.ServerId)
                .AddAttributes([new KeyValuePair<string, object>("chatops.server_id", options.ServerId)]));
        if (options.OtlpEndpoint is { } endpoint)
        {
            builder.AddOtlpExporter(otlp => otlp.Endpoint = new Uri(endpoint));
        }

        return builder.Build();
    }
}
