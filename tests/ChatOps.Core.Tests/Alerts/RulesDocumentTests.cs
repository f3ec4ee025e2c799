using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>Rules as people write them: every mistake named by rule and field, good rules read whole.</summary>
public sealed class RulesDocumentTests
{
    private static AlertRuleDocument Cpu() => new()
    {
        Name = "cpu-high",
        Metric = "cpu_percent",
        Target = "role:web",
        Comparator = ">=",
        Threshold = "90",
        For = "5m",
        Clear = "80",
        ClearFor = "1m",
        Severity = "critical",
        NoData = "10m",
        Routes = [new() { Platform = "Slack", Channel = "C024BE91L" }, new() { Platform = "email", Channel = "oncall@example.com" }],
        Runbook = "restart {server} nginx",
        Escalation = new() { After = "15m", Mention = "@oncall" },
    };

    private static AlertRuleDocument Named(string name)
    {
        var document = Cpu();
        document.Name = name;
        return document;
    }

    [Fact]
    public void A_complete_rule_is_read_with_its_durations_and_routes()
    {
        var (rule, errors) = AlertRulesDocumentReader.ReadRule(Cpu());

        Assert.Empty(errors);
        Assert.NotNull(rule);
        Assert.Equal(AlertComparator.GreaterOrEqual, rule.Comparator);
        Assert.Equal(90, rule.Threshold);
        Assert.Equal(80, rule.ClearThreshold);
        Assert.Equal(TimeSpan.FromMinutes(5), rule.For);
        Assert.Equal(TimeSpan.FromMinutes(1), rule.ClearFor);
        Assert.Equal(TimeSpan.FromMinutes(10), rule.NoDataAfter);
        Assert.Equal(AlertSeverity.Critical, rule.Severity);
        Assert.Equal([new AlertRoute("slack", "C024BE91L"), new AlertRoute("email", "oncall@example.com")], rule.Routes);
        Assert.Equal(new EscalationSettings(TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15), "@oncall"), rule.Escalation);
    }

    [Theory]
    [InlineData("threshold", "ninety", "field 'threshold': 'ninety' is not a number")]
    [InlineData("comparator", "=>", "field 'comparator': '=>' is not one of >, >=, <, <=")]
    [InlineData("for", "5 minutes", "field 'for':")]
    [InlineData("severity", "panic", "field 'severity': 'panic' is not one of info, warning, critical")]
    [InlineData("target", "Web 3", "field 'target':")]
    [InlineData("clear", "95", "field 'clear': must not be above the threshold 90")]
    public void A_bad_field_is_reported_by_rule_and_field(string field, string value, string expected)
    {
        var document = Cpu();
        switch (field)
        {
            case "threshold": document.Threshold = value; break;
            case "comparator": document.Comparator = value; break;
            case "for": document.For = value; break;
            case "severity": document.Severity = value; break;
            case "target": document.Target = value; break;
            case "clear": document.Clear = value; break;
        }

        var result = AlertRulesDocumentReader.Read(new AlertRulesDocument { Rules = [Named("ok-rule"), document] });

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("rule 'cpu-high' (#2): ", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Routes_names_and_schedules_are_checked()
    {
        var bad = Cpu();
        bad.Routes = [new() { Platform = "webhook", Channel = "not a url" }, new() { Platform = "email", Channel = "nobody" }];
        var result = AlertRulesDocumentReader.Read(new AlertRulesDocument
        {
            Rules = [bad, Cpu()],
            Schedules = [new() { Name = "nightly", Cron = "0 0 3 * * ?", Command = "run role:web df", Route = new() { Platform = "email", Channel = "x@y.z" } }],
        });

        Assert.Contains(result.Errors, e => e.Contains("field 'routes[0].channel': 'not a url' is not an absolute http(s) URL", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("field 'routes[1].channel': 'nobody' is not an email address", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("schedule 'nightly' (#1): field 'route.platform': must be web, slack or teams", StringComparison.Ordinal));
    }

    [Fact]
    public void A_rule_needs_a_threshold_anomaly_or_no_data_and_not_both_kinds_of_bound()
    {
        var none = Cpu();
        none.Threshold = null;
        none.Clear = null;
        none.NoData = null;
        var both = Cpu();
        both.Anomaly = new() { ZScore = "3" };

        Assert.Contains("field 'threshold': is required", string.Join("\n", AlertRulesDocumentReader.ReadRule(none).Errors));
        Assert.Contains("use either a threshold or anomaly", string.Join("\n", AlertRulesDocumentReader.ReadRule(both).Errors));
    }

    [Fact]
    public void Duplicate_names_are_refused()
    {
        var result = AlertRulesDocumentReader.Read(new AlertRulesDocument { Rules = [Cpu(), Cpu()] });

        Assert.Contains("rule 'cpu-high' (#2): field 'name': 'cpu-high' is defined twice", result.Errors);
        Assert.Single(result.Rules);
    }
}
