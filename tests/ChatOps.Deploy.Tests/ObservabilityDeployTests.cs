namespace ChatOps.Deploy.Tests;

/// <summary>Deployments log JSON lines (with trace ids) for a log pipeline; the plain binary keeps readable text.</summary>
public sealed class ObservabilityDeployTests
{
    [Fact]
    public void The_kubernetes_services_log_json()
    {
        var config = Yaml.Documents("manifests/configmap.yaml").Single();

        Assert.Equal("json", config.Text("data", "ChatOps__Logging__Format"));
    }

    [Fact]
    public void The_compose_services_and_the_agent_log_json()
    {
        var compose = Yaml.Documents("docker-compose.yml").Single();

        Assert.Equal("json", compose.Text("x-chatops-env", "ChatOps__Logging__Format"));
        Assert.Equal("json", compose.Text("services", "agent", "environment", "CHATOPS_AGENT_LOG_FORMAT"));
    }

    [Fact]
    public void The_operating_guide_documents_every_new_key()
    {
        var guide = File.ReadAllText(Path.Combine(Yaml.RepoRoot, "deploy/README.md"));

        foreach (var key in new[]
        {
            "ChatOps:Logging:Format", "ChatOps:Telemetry:OtlpEndpoint", "OTEL_EXPORTER_OTLP_ENDPOINT",
            "ChatOps:Gateway:ClientCertificates:Required", "ChatOps:Gateway:ClientCertificates:Pins:{serverId}",
            "--ca-file", "--client-cert", "--client-key", "--server-cert-sha256", "--log-format", "chatops_bus_consumer_lag", "chatops_alerts_firing",
        })
            Assert.Contains(key, guide);
    }
}
