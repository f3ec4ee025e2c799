using YamlDotNet.RepresentationModel;

namespace ChatOps.Deploy.Tests;

public sealed class KubernetesManifestTests
{
    private static readonly string[] AllServices = ["chat", "router", "agent-gateway", "metrics", "alerts", "notifications", "scheduler", "web"];

    private static IReadOnlyList<YamlMappingNode> All() =>
        Yaml.Documents("manifests/kustomization.yaml").Single().At("resources").Items()
            .SelectMany(r => Yaml.Documents(Path.Combine("manifests", ((YamlScalarNode)r).Value!))).ToList();

    private static IEnumerable<YamlMappingNode> OfKind(string kind) => All().Where(d => d.Text("kind") == kind);

    [Fact]
    public void The_kustomization_lists_every_manifest_and_every_one_parses()
    {
        var listed = Yaml.Documents("manifests/kustomization.yaml").Single().At("resources").Items().Select(r => ((YamlScalarNode)r).Value!).ToHashSet();
        var files = Directory.GetFiles(Path.Combine(Yaml.RepoRoot, "manifests"), "*.yaml").Select(Path.GetFileName)
            .Where(f => f is not ("kustomization.yaml" or "secret.example.yaml")).ToHashSet();

        Assert.Equal(files.Order(), listed.Order());
        Assert.All(All(), d => Assert.False(string.IsNullOrEmpty(d.Text("kind"))));
    }

    [Fact]
    public void Each_service_has_a_hardened_deployment_with_probes_resources_a_service_and_a_disruption_budget()
    {
        var deployments = OfKind("Deployment").ToDictionary(d => d.Text("metadata", "name")!);
        var services = OfKind("Service").Select(s => s.Text("metadata", "name")).ToHashSet();
        var budgets = OfKind("PodDisruptionBudget").Select(s => s.Text("metadata", "name")).ToHashSet();

        foreach (var name in AllServices)
        {
            var deployment = deployments[$"chatops-{name}"];
            var container = (YamlMappingNode)deployment.At("spec", "template", "spec", "containers").Items().Single();
            var env = container.At("env").Items().ToDictionary(e => e.Text("name")!, e => e.Text("value"));
            Assert.Equal(name, env["ChatOps__Services"]);
            Assert.Equal("/readyz", container.Text("readinessProbe", "httpGet", "path"));
            Assert.Equal("/healthz", container.Text("livenessProbe", "httpGet", "path"));
            Assert.NotNull(container.Text("resources", "requests", "memory"));
            Assert.NotNull(container.Text("resources", "limits", "memory"));
            Assert.Equal("true", deployment.Text("spec", "template", "spec", "securityContext", "runAsNonRoot"));
            Assert.Equal("false", container.Text("securityContext", "allowPrivilegeEscalation"));
            Assert.Equal("enabled", deployment.Text("spec", "template", "metadata", "annotations", "linkerd.io/inject"));
            Assert.Contains($"chatops-{name}", services);
            Assert.Contains($"chatops-{name}", budgets);
        }
    }

    [Fact]
    public void Chat_router_and_metrics_autoscale_on_existing_deployments()
    {
        var deployments = OfKind("Deployment").Select(d => d.Text("metadata", "name")).ToHashSet();
        var targets = OfKind("HorizontalPodAutoscaler").Select(h => h.Text("spec", "scaleTargetRef", "name")).ToList();

        Assert.Equal(new[] { "chatops-chat", "chatops-metrics", "chatops-router" }, targets.Order());
        Assert.All(targets, t => Assert.Contains(t, deployments));
    }

    [Fact]
    public void Secrets_are_files_from_a_secret_and_never_values_in_the_config_map()
    {
        var config = OfKind("ConfigMap").Single();
        foreach (var (key, _) in config.At("data").Entries())
        {
            var secretish = key.Contains("Password", StringComparison.OrdinalIgnoreCase) || key.Contains("Secret", StringComparison.OrdinalIgnoreCase)
                || key.Contains("Token", StringComparison.OrdinalIgnoreCase) || key.Contains("ApiKey", StringComparison.OrdinalIgnoreCase)
                || key.Contains("ConnectionString", StringComparison.OrdinalIgnoreCase);
            if (secretish) Assert.True(key.EndsWith("_FILE", StringComparison.Ordinal), $"{key} in the ConfigMap must be a *_FILE path");
        }

        foreach (var deployment in OfKind("Deployment"))
            Assert.Contains(deployment.At("spec", "template", "spec", "volumes").Items(), v => v.Text("secret", "secretName") == "chatops-secrets");
        Assert.Equal("Secret", Yaml.Documents("manifests/secret.example.yaml").Single().Text("kind"));
    }

    [Fact]
    public void The_ingress_routes_chat_platforms_agents_and_the_page_to_existing_services()
    {
        var services = OfKind("Service").Select(s => s.Text("metadata", "name")).ToHashSet();
        var paths = OfKind("Ingress").Single().At("spec", "rules").Items().Single().At("http", "paths").Items()
            .ToDictionary(p => p.Text("path")!, p => p.Text("backend", "service", "name")!);

        Assert.Equal("chatops-chat", paths["/slack"]);
        Assert.Equal("chatops-chat", paths["/api/messages"]);
        Assert.Equal("chatops-agent-gateway", paths["/agents/connect"]);
        Assert.Equal("chatops-web", paths["/"]);
        Assert.All(paths.Values, s => Assert.Contains(s, services));
    }

    [Fact]
    public void Network_policies_deny_by_default()
    {
        var deny = OfKind("NetworkPolicy").Single(p => p.Text("metadata", "name") == "chatops-default-deny");

        Assert.Empty(deny.At("spec", "podSelector").Entries());
        Assert.Equal(["Ingress", "Egress"], deny.At("spec", "policyTypes").Items().Select(i => ((YamlScalarNode)i).Value));
    }

    [Fact]
    public void The_overlays_point_at_the_base()
    {
        foreach (var overlay in new[] { "dev", "prod" })
        {
            var kustomization = Yaml.Documents($"deploy/kustomize/overlays/{overlay}/kustomization.yaml").Single();
            var resource = ((YamlScalarNode)kustomization.At("resources").Items().Single()).Value!;
            Assert.True(File.Exists(Path.GetFullPath(Path.Combine(Yaml.RepoRoot, "deploy/kustomize/overlays", overlay, resource, "kustomization.yaml"))));
        }
    }
}
