namespace ChatOps.Deploy.Tests;

public sealed class ComposeFileTests
{
    private static readonly string[] AllServices = ["chat", "router", "agent-gateway", "metrics", "alerts", "notifications", "scheduler", "web"];
    private readonly YamlDotNet.RepresentationModel.YamlNode _compose = Yaml.Documents("docker-compose.yml").Single();

    private IEnumerable<(string Name, YamlDotNet.RepresentationModel.YamlNode Service)> Services => _compose.At("services").Entries();

    [Fact]
    public void It_brings_kafka_in_kraft_mode_redis_timescaledb_the_services_and_an_agent()
    {
        var names = Services.Select(s => s.Name).ToHashSet();

        Assert.Superset(new HashSet<string> { "kafka", "redis", "timescaledb", "chat-web", "router", "agent-gateway", "workers", "agent" }, names);
        Assert.DoesNotContain(names, n => n.Contains("zookeeper", StringComparison.Ordinal));
        Assert.Contains("controller", _compose.Text("services", "kafka", "environment", "KAFKA_PROCESS_ROLES"));
        Assert.StartsWith("timescale/timescaledb", _compose.Text("services", "timescaledb", "image"));
    }

    [Fact]
    public void Every_chatops_module_runs_in_exactly_one_container_from_one_image()
    {
        var chatops = Services.Where(s => s.Service.Text("environment", "ChatOps__Services") is not null).ToList();
        var modules = chatops.SelectMany(s => s.Service.Text("environment", "ChatOps__Services")!.Split(',')).ToList();

        Assert.Equal(AllServices.Order(), modules.Order());
        Assert.Single(chatops.Select(s => s.Service.Text("image")).Distinct());
    }

    [Fact]
    public void Long_running_services_have_health_checks_and_start_in_dependency_order()
    {
        var names = Services.Select(s => s.Name).ToHashSet();
        foreach (var (name, service) in Services.Where(s => s.Name is not ("agent" or "enroll-demo-agent")))
            Assert.True(service.At("healthcheck", "test") is not null, $"{name} has no healthcheck");

        foreach (var (name, service) in Services)
        {
            foreach (var (dependency, condition) in service.At("depends_on").Entries())
            {
                Assert.Contains(dependency, names);
                Assert.Contains(condition.Text("condition"), new[] { "service_healthy", "service_completed_successfully" });
            }
        }

        Assert.Equal("service_healthy", _compose.Text("services", "router", "depends_on", "kafka", "condition"));
        Assert.Equal("service_completed_successfully", _compose.Text("services", "agent", "depends_on", "enroll-demo-agent", "condition"));
    }

    [Fact]
    public void Secrets_come_from_files_never_from_plain_environment_values()
    {
        foreach (var (name, service) in Services)
        {
            foreach (var (key, value) in service.At("environment").Entries())
            {
                var secretish = key.Contains("Password", StringComparison.OrdinalIgnoreCase) || key.Contains("Secret", StringComparison.OrdinalIgnoreCase)
                    || key.Contains("Token", StringComparison.OrdinalIgnoreCase) || key.Contains("ApiKey", StringComparison.OrdinalIgnoreCase)
                    || key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase);
                if (secretish) Assert.True(key.EndsWith("_FILE", StringComparison.Ordinal), $"{name}: {key} must be a *_FILE setting");
            }
        }

        foreach (var (_, secret) in _compose.At("secrets").Entries())
            Assert.True(File.Exists(Path.Combine(Yaml.RepoRoot, secret.Text("file")!)), $"secret file {secret.Text("file")} is missing");
    }

    [Fact]
    public void The_web_port_is_published_on_loopback_only()
    {
        var ports = _compose.At("services", "chat-web", "ports").Items().Select(p => ((YamlDotNet.RepresentationModel.YamlScalarNode)p).Value!).ToList();

        Assert.All(ports, p => Assert.StartsWith("127.0.0.1:", p));
    }
}
