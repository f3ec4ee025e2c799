using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;
using OpenQA.Selenium;

namespace ChatOps.Server.Tests.Browser;

/// <summary>Rules and approvals on the page, in headless Chromium: an admin marks a command high-risk, an approver approves from the list.</summary>
public sealed class ApprovalPageBrowserTests : IAsyncLifetime
{
    private readonly ChatOpsApp _app = new();
    private HeadlessChromium _browser = null!;
    private Uri _base = null!;

    public Task InitializeAsync()
    {
        _base = _app.StartOnKestrel();
        _browser = new HeadlessChromium();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task An_admin_marks_restart_high_risk_and_an_approver_approves_someone_elses_request()
    {
        var b = _browser;
        await _app.Get<IServerStore>().UpsertAsync(new Core.Domain.Server("web-1", null, ["role:web"], DateTimeOffset.UtcNow));
        await _app.CreateUserAsync("otis", Roles.Operator);
        await _app.CreateUserAsync("april", Roles.Approver);

        SignIn("admin", ChatOpsApp.AdminPassword);
        Nav("catalog");
        var risk = b.Until(d => d.FindElement(By.CssSelector("select[data-command='restart']")), "restart's risk selector");
        risk.FindElement(By.CssSelector("option[value='high']")).Click();
        b.Until(d => d.FindElement(By.Id("notice")).Text.Contains("high risk", StringComparison.Ordinal), "the risk change confirmed");
        Assert.Contains((await _app.Get<IPolicyStore>().LoadAsync()).Commands, c => c.Command == "restart" && c.Risk == Core.Commands.Risk.High);

        using var otis = _app.KeyClient(await _app.CreateKeyAsync("otis"));
        using var run = await otis.PostAsJsonAsync(new Uri(_base, "/api/commands"), new { text = "restart web-1 nginx" });
        var id = (await run.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commandId").GetString()!;

        b.Find("#logout").Click();
        b.Until(d => d.FindElement(By.Id("login-form")).Displayed, "signed out");
        SignIn("april", ChatOpsApp.Password);
        Nav("approvals");
        // The list re-renders when live updates arrive, so each step finds the row afresh.
        b.Until(d => d.FindElement(By.CssSelector($"tr[data-approval='{id}']")).Text is var text && text.Contains("restart web-1 nginx", StringComparison.Ordinal) && text.Contains("pending", StringComparison.Ordinal), "the waiting request");
        b.Until(d => { d.FindElement(By.CssSelector($"tr[data-approval='{id}']")).FindElement(By.XPath(".//button[text()='Approve']")).Click(); return true; }, "a click on Approve");
        b.Until(d => d.FindElement(By.CssSelector($"tr[data-approval='{id}'] .state")).Text == "approved", "the request approved");
        Assert.Empty(b.ScriptErrors());
        Assert.Equal("april", (await _app.Get<IApprovalStore>().GetAsync(id))!.DecidedByUserId);
    }

    private void SignIn(string user, string password)
    {
        _browser.Driver.Navigate().GoToUrl(_base);
        _browser.RecordScriptErrors();
        _browser.Until(d => d.FindElement(By.Id("login-form")).Displayed, "the sign-in form");
        _browser.Type("#login-user", user);
        _browser.Type("#login-password", password);
        _browser.Find("#login-form button[type=submit]").Click();
        _browser.Until(d => d.FindElement(By.Id("view-dashboard")).Displayed, "the dashboard");
    }

    private void Nav(string view)
    {
        _browser.Find($"#nav button[data-view='{view}']").Click();
        _browser.Until(d => d.FindElement(By.Id("view-" + view)).Displayed, "the " + view + " view");
    }
}
