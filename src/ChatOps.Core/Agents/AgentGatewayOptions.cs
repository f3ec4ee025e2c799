namespace ChatOps.Core.Agents;

public sealed class AgentGatewayOptions
{
    /// <summary>This gateway node's id in <c>agent:connections:{server}</c>; defaults to machine name + process id.</summary>
    public string NodeId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MetricsInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many output bytes per command the gateway forwards; the agent caps first, this is the backstop.</summary>
    public long MaxOutputBytesPerCommand { get; set; } = 2 * 1024 * 1024;

    /// <summary>Registry entries live this long without a heartbeat.</summary>
    public TimeSpan RegistryTtl => HeartbeatInterval * 3;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(NodeId)) yield return "ChatOps:Gateway:NodeId must not be empty";
        if (HeartbeatInterval < TimeSpan.FromSeconds(1)) yield return "ChatOps:Gateway:HeartbeatInterval must be at least 1 second";
        if (MetricsInterval < TimeSpan.FromSeconds(1)) yield return "ChatOps:Gateway:MetricsInterval must be at least 1 second";
        if (MaxOutputBytesPerCommand < 1024) yield return "ChatOps:Gateway:MaxOutputBytesPerCommand must be at least 1024";
    }
}
