using ChatOps.Agent;
using ChatOps.Server.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using OpenQA.Selenium;

namespace ChatOps.Server.Tests.Browser;

/// <summary>
/// The admin page in real headless Chromium against the real server on a loopback port: sign in,
/// enrol a server and watch its (real, in-process) agent come online by push, run a command from the
/// console and see its output, see hostile output stay text, find the audit entry, create an alert rule
/// and a silence from the alerts view, and keep screenshots of the dashboard and the alerts view in
/// tests/.artifacts/.
/// </summary>
public sealed class AdminPageBrowserTests : IAsyncLifetime
{
    private const string Payload = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>";

    private readonly ChatOpsApp _app = new();
    private readonly DirectoryInfo _agentFolder = Directory.CreateTempSubdirectory("chatops-browser-agent-");
    private readonly CancellationTokenSource _stopAgent = new();
    private HeadlessChromium _browser = null!;
    private Uri _base = null!;
    private Task? _agent;

    public Task InitializeAsync()
    {
        _base = _app.StartOnKestrel();
        _browser = new HeadlessChromium();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stopAgent.CancelAsync();
        if (_agent is not null) await _agent.WaitAsync(TimeSpan.FromSeconds(15));
        _browser.Dispose();
        await _app.DisposeAsync();
        _agentFolder.Delete(recursive: true);
        _stopAgent.Dispose();
    }

    [Fact]
    public async Task An_admin_signs_in_enrols_a_server_runs_a_command_and_finds_it_in_the_audit_log()
    {
        var b = _browser;
        b.Driver.Navigate().GoToUrl(_base);
        b.RecordScriptErrors();

        // Sign in.
        b.Until(d => d.FindElement(By.Id("login-form")).Displayed, "the sign-in form");
        b.Type("#login-user", "admin");
        b.Type("#login-password", ChatOpsApp.AdminPassword);
        b.Find("#login-form button[type=submit]").Click();
        b.Until(d => d.FindElement(By.Id("view-dashboard")).Displayed, "the dashboard after signing in");
        Assert.Contains("admin", b.Find("#me").Text);

        // Enrol a server; the page shows the agent command line with its one-time token.
        b.Type("#enrol-id", "web-7");
        b.Type("#enrol-tags", "role:web, env:test");
        b.Find("#enrol-form button[type=submit]").Click();
        var command = b.Until(d => d.FindElement(By.Id("enrol-command")).Text is { Length: > 0 } text ? text : null, "the agent command line")!;
        Assert.Matches(@"^chatops-agent --server ws://127\.0\.0\.1:\d+/agents/connect --server-id web-7 --token agt_\S+$", command);
        b.Until(d => d.FindElement(By.CssSelector("tr[data-server='web-7'] .status")).Text == "offline", "web-7 listed, offline until its agent connects");

        // Start a real agent with exactly what the page showed; the page learns it is online by push.
        StartAgent(command);
        b.Until(d => d.FindElement(By.CssSelector("tr[data-server='web-7'] .status")).Text == "online", "web-7 shown online");
        b.Until(d => d.FindElement(By.CssSelector("tr[data-server='web-7'] .metrics")).Text.Contains("cpu", StringComparison.Ordinal), "web-7's metrics");

        // Run a command from the console and see its output.
        Nav("console");
        b.Type("#command", "run web-7 echo hello-from-the-browser");
        b.Find("#command-form button[type=submit]").Click();
        b.Until(d => d.FindElement(By.Id("thread")).Text.Contains("exit code 0", StringComparison.Ordinal), "the command's result in the console");
        Assert.Contains("hello-from-the-browser", b.Find("#thread").Text);

        // Hostile output is shown as text and runs nothing.
        b.Type("#command", "run web-7 xss");
        b.Find("#command-form button[type=submit]").Click();
        b.Until(d => d.FindElements(By.CssSelector("#thread pre")).Any(p => p.Text.Contains(Payload, StringComparison.Ordinal)), "the hostile output shown literally");
        Assert.Empty(b.Driver.FindElements(By.CssSelector("#thread img, #thread script")));
        Assert.Equal(true, b.Driver.ExecuteScript("return window.__xss === undefined;"));

        // History holds the full output.
        Nav("history");
        b.Until(d => d.FindElements(By.CssSelector("#history-list tr")).Count >= 2, "the history");
        b.Until(d => { d.FindElement(By.CssSelector("#history-list tr:last-child")).Click(); return true; }, "a click on the first command");
        b.Until(d => d.FindElement(By.Id("history-output")).Text.Contains("hello-from-the-browser", StringComparison.Ordinal), "the stored output");

        // The audit log has the enrolment and the sign-in.
        Nav("audit");
        b.Type("#audit-action", "server.enrolled");
        b.Find("#audit-form button[type=submit]").Click();
        var row = b.Until(d => d.FindElements(By.CssSelector("#audit-list tr")).Select(r => r.Text).ToList() is { Count: > 0 } rows
            && rows.All(r => r.Contains("server.enrolled", StringComparison.Ordinal)) ? rows.Single() : null, "only the enrolment in the filtered audit log")!;
        Assert.Contains("web-7", row);
        Assert.Contains("admin", row);
        Assert.Contains("/api/audit/export?action=server.enrolled", b.Find("#audit-export").GetAttribute("href") ?? "");

        // Every other view loads and fills without a script error.
        foreach (var (view, filled) in new[] { ("catalog", "#catalog-list tr[data-command='restart']"), ("users", "#user-list tr[data-user='admin']"), ("keys", "#key-list tr"), ("approvals", "#approval-list") })
        {
            Nav(view);
            b.Until(d => d.FindElements(By.CssSelector(filled)).Count > 0, $"the {view} view filled");
        }

        // An alert rule and a silence created through the page are listed (the silence's hostile comment as text).
        Nav("alerts");
        b.Type("#alert-rule-name", "cpu-browser");
        b.Type("#alert-rule-metric", "cpu_percent");
        b.Type("#alert-rule-threshold", "85");
        b.Type("#alert-rule-for", "5m");
        b.Type("#alert-rule-target", "role:web");
        b.Type("#alert-rule-route", "web:ops");
        b.Find("#alert-rule-form button[type=submit]").Click();
        var ruleRow = b.Until(d => d.FindElement(By.CssSelector("#alert-rule-list tr[data-alert-rule='cpu-browser']")).Text is { Length: > 0 } text ? text : null, "the new alert rule listed")!;
        Assert.Contains("cpu_percent > 85", ruleRow);
        Assert.Contains("role:web", ruleRow);
        Assert.Contains("web:ops", ruleRow);
        Assert.Equal(85, _app.Get<ChatOps.Core.Alerts.Rules.AlertRuleSet>().Find("cpu-browser")?.Threshold);

        b.Type("#silence-target", "web-7");
        b.Type("#silence-duration", "2h");
        b.Type("#silence-comment", Payload);
        b.Find("#silence-form button[type=submit]").Click();
        var silenceRow = b.Until(d => d.FindElements(By.CssSelector("#silence-list tr[data-silence]")).SingleOrDefault(), "the new silence listed")!;
        Assert.Contains(Payload, silenceRow.Text);
        Assert.Empty(b.Driver.FindElements(By.CssSelector("#silence-list img, #silence-list script")));
        Assert.Equal(true, b.Driver.ExecuteScript("return window.__xss === undefined;"));
        var alertsShot = Path.Combine(ArtifactsFolder(), "admin-alerts.png");
        b.Driver.GetScreenshot().SaveAsFile(alertsShot);

        Assert.Empty(b.ScriptErrors());

        // The dashboard, for the record.
        Nav("dashboard");
        b.Until(d => d.FindElement(By.CssSelector("tr[data-server='web-7'] .status")).Text == "online", "web-7 still online");
        var shot = Path.Combine(ArtifactsFolder(), "admin-dashboard.png");
        b.Driver.GetScreenshot().SaveAsFile(shot);
        Assert.True(new FileInfo(shot).Length > 10_000, "the screenshot is empty");
        await Task.CompletedTask;
    }

    private void Nav(string view)
    {
        _browser.Find($"#nav button[data-view='{view}']").Click();
        _browser.Until(d => d.FindElement(By.Id("view-" + view)).Displayed, "the " + view + " view");
    }

    private void StartAgent(string commandLine)
    {
        var words = commandLine.Split(' ');
        var allowlist = Path.Combine(_agentFolder.FullName, "allowlist.json");
        File.WriteAllText(allowlist, $$"""
            {
              "actions": {
                "echo": { "argv": ["echo", "{text}"], "params": [ { "name": "text", "type": "text", "maxLength": 1000 } ] },
                "xss": { "argv": ["echo", {{System.Text.Json.JsonSerializer.Serialize(Payload)}}] }
              }
            }
            """);
        var options = new AgentOptions
        {
            ServerUrl = words[Array.IndexOf(words, "--server") + 1],
            ServerId = words[Array.IndexOf(words, "--server-id") + 1],
            Token = words[Array.IndexOf(words, "--token") + 1],
            AllowlistPath = allowlist,
            StatePath = Path.Combine(_agentFolder.FullName, "state.json"),
        };
        var runner = new AgentRunner(options, NullLoggerFactory.Instance, TimeProvider.System);
        _agent = Task.Run(() => runner.RunAsync(_stopAgent.Token));
    }

    private static string ArtifactsFolder()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatOps.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new DirectoryNotFoundException("ChatOps.sln");
        return Directory.CreateDirectory(Path.Combine(root, "tests", ".artifacts")).FullName;
    }
}
