using System.Diagnostics.Metrics;
using ChatOps.Core.Alerts;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;

namespace ChatOps.Server.Observability;

/// <summary>
/// <c>chatops_alerts_firing{severity,state}</c>: open alerts (firing or acknowledged). The store is read
/// asynchronously when /metrics is scraped, with a short limit, so a slow store never blocks a thread and
/// a failing one leaves the last known counts. Only the process running the alerts module reports it, so
/// summing over pods does not count an alert twice.
/// </summary>
public sealed partial class AlertsFiringGauge(IAlertStore alerts, ChatOpsMeter meter, ILogger<AlertsFiringGauge> logger)
{
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(2);
    private volatile IReadOnlyList<Measurement<long>> _last = [];
    private int _registered;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            meter.ObserveGauges("chatops_alerts_firing", "Open alerts (firing or acknowledged), by severity and state", () => _last);
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(ReadLimit);
            var open = await alerts.ListActiveAsync(cancellationToken: limit.Token);
            _last = [.. open
                .Where(a => a.IsOpen)
                .GroupBy(a => (Severity: a.Severity.ToString().ToLowerInvariant(), State: a.State.ToString().ToLowerInvariant()))
                .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("severity", g.Key.Severity), new KeyValuePair<string, object?>("state", g.Key.State)))];
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or InvalidOperationException or System.Data.Common.DbException)
        {
            LogStale(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert counts for /metrics were not refreshed (the last ones stay): {Reason}")]
    private partial void LogStale(string reason);
}
