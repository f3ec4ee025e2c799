using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Connection;

/// <summary>Keeps one connection to the gateway alive: reconnects with backoff until stopped.</summary>
internal sealed class AgentClient
{
    /// <summary>A connection that stayed up this long was healthy; the next outage starts from the shortest delay.</summary>
    internal static readonly TimeSpan HealthyConnection = TimeSpan.FromSeconds(10);

    private readonly AgentServices _services;
    private readonly ReconnectBackoff _backoff;

    public AgentClient(AgentServices services, Random? random = null)
    {
        _services = services;
        _backoff = new ReconnectBackoff(services.Options.ReconnectMinDelay, services.Options.ReconnectMaxDelay, random);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var logger = _services.Logger;
        if (Uri.TryCreate(_services.Options.ServerUrl, UriKind.Absolute, out var url) && url.Scheme == "ws" && !url.IsLoopback)
        {
            logger.LogWarning("{Url} is not encrypted: the agent token crosses the network in clear text; use wss://", url);
        }

        while (!stop.IsCancellationRequested)
        {
            ConnectionEnd end;
            try
            {
                end = await new AgentConnection(_services).RunAsync(stop);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // A bug in one session must not end the agent: log it and connect afresh.
                logger.LogError(e, "the connection failed unexpectedly");
                end = default;
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            if (end.Welcomed && end.Lasted >= HealthyConnection)
            {
                _backoff.Reset();
            }

            var delay = _backoff.NextDelay();
            logger.LogInformation("reconnecting to {Url} in {Delay:0.0} s", _services.Options.ServerUrl, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, _services.Time, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        logger.LogInformation("agent {ServerId} stopped", _services.Options.ServerId);
    }
}
