using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Server.Tests.Support;

namespace ChatOps.Server.Tests;

public sealed class AuthTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private ChatOpsApp App => fixture.App;

    [Fact]
    public async Task A_signed_in_page_reaches_the_api_and_its_identity_comes_from_the_session()
    {
        await App.CreateUserAsync("olga", Roles.Operator);
        var page = await App.SignInAsync("olga");

        var me = await (await page.GetAsync("/api/auth/me")).Content.ReadFromJsonAsync<JsonElement>();
        using var chat = await page.PostAsync("/api/chat/messages", new { text = "whoami", user = "admin" });
        var answer = await chat.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("olga", me.GetProperty("id").GetString());
        Assert.Equal("SessionCookie", me.GetProperty("method").GetString());
        Assert.Contains("user `olga`", answer.GetProperty("text").GetString());
        Assert.Contains("Roles: operator", answer.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_get_the_same_answer()
    {
        await App.CreateUserAsync("wanda", Roles.Viewer);
        using var client = App.Anonymous();

        using var wrong = await client.PostAsJsonAsync("/api/auth/login", new { username = "wanda", password = "not-the-password-at-all" });
        using var unknown = await client.PostAsJsonAsync("/api/auth/login", new { username = "nobody-here", password = "not-the-password-at-all" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(await wrong.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Passwords_are_stored_as_salted_PBKDF2_hashes()
    {
        await App.CreateUserAsync("harry", Roles.Viewer);
        await App.CreateUserAsync("henry", Roles.Viewer);
        var accounts = App.Get<IUserAccountStore>();
        var harry = await accounts.GetPasswordHashAsync("harry");
        var henry = await accounts.GetPasswordHashAsync("henry");

        Assert.StartsWith("pbkdf2-sha256$", harry);
        Assert.DoesNotContain(ChatOpsApp.Password, harry);
        Assert.NotEqual(harry, henry); // same password, different salt
    }

    [Fact]
    public async Task Scripts_can_sign_in_for_bearer_tokens_and_refresh_rotates_the_refresh_token()
    {
        await App.CreateUserAsync("sam", Roles.Viewer);
        using var client = App.Anonymous();
        var tokens = await (await client.PostAsJsonAsync("/api/auth/login", new { username = "sam", password = ChatOpsApp.Password, mode = "token" })).Content.ReadFromJsonAsync<JsonElement>();
        var access = tokens.GetProperty("accessToken").GetString()!;
        var refresh = tokens.GetProperty("refreshToken").GetString()!;

        using var bearer = App.KeyClient(access);
        using var servers = await bearer.GetAsync("/api/servers");
        using var refreshed = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });
        var fresh = await refreshed.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, servers.StatusCode);
        Assert.Equal(3, access.Split('.').Length);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.NotEqual(refresh, fresh.GetProperty("refreshToken").GetString());
    }

    [Fact]
    public async Task A_refresh_token_used_twice_ends_the_session_for_everyone()
    {
        await App.CreateUserAsync("rita", Roles.Viewer);
        using var client = App.Anonymous();
        var tokens = await (await client.PostAsJsonAsync("/api/auth/login", new { username = "rita", password = ChatOpsApp.Password, mode = "token" })).Content.ReadFromJsonAsync<JsonElement>();
        var stolen = tokens.GetProperty("refreshToken").GetString()!;
        using var bearer = App.KeyClient(tokens.GetProperty("accessToken").GetString()!);

        using var first = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = stolen });
        var rotated = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refreshToken").GetString();
        using var replay = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = stolen });
        using var legit = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = rotated });
        using var afterwards = await bearer.GetAsync("/api/servers");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, legit.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
        Assert.Contains(await App.Get<IAuditStore>().QueryAsync(new AuditQuery(Actor: "rita", Action: "session.revoked")), e => e.Outcome == "denied");
    }

    [Fact]
    public async Task The_page_refreshes_with_its_cookie_and_csrf_token()
    {
        await App.CreateUserAsync("paula", Roles.Viewer);
        var page = await App.SignInAsync("paula");

        using var withoutCsrf = await page.SendAsync(HttpMethod.Post, "/api/auth/refresh", withCsrf: false);
        using var withCsrf = await page.SendAsync(HttpMethod.Post, "/api/auth/refresh");
        using var stillWorks = await page.GetAsync("/api/auth/me");

        Assert.Equal(HttpStatusCode.Forbidden, withoutCsrf.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withCsrf.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
    }

    [Fact]
    public async Task After_logout_a_copied_access_token_no_longer_works()
    {
        await App.CreateUserAsync("lou", Roles.Viewer);
        using var client = App.Anonymous();
        var tokens = await (await client.PostAsJsonAsync("/api/auth/login", new { username = "lou", password = ChatOpsApp.Password, mode = "token" })).Content.ReadFromJsonAsync<JsonElement>();
        using var bearer = App.KeyClient(tokens.GetProperty("accessToken").GetString()!);

        using var before = await bearer.GetAsync("/api/servers");
        using var logout = await bearer.PostAsync("/api/auth/logout", null);
        using var after = await bearer.GetAsync("/api/servers");
        using var refresh = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
    }

    [Fact]
    public async Task An_admin_can_end_all_sessions_of_a_user()
    {
        await App.CreateUserAsync("vic", Roles.Viewer);
        var page = await App.SignInAsync("vic");
        using var admin = App.AdminClient();

        using var revoke = await admin.DeleteAsync("/api/users/vic/sessions");
        using var after = await page.GetAsync("/api/servers");

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task An_api_key_is_shown_once_stored_hashed_and_dead_after_revocation()
    {
        await App.CreateUserAsync("bot", Roles.Viewer);
        using var admin = App.AdminClient();
        using var created = await admin.PostAsJsonAsync("/api/keys", new { name = "deploy bot", userId = "bot" });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetString()!;

        using var withKey = App.KeyClient(key);
        using var works = await withKey.GetAsync("/api/servers");
        var listed = await admin.GetStringAsync("/api/keys");
        using var revoked = await admin.DeleteAsync($"/api/keys/{id}");
        using var dead = await withKey.GetAsync("/api/servers");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        Assert.DoesNotContain(key, listed);
        Assert.DoesNotContain(key, string.Join(",", (await App.Get<IUserStore>().ListApiKeysAsync()).Select(k => k.KeyHash)));
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, dead.StatusCode);
    }

    [Fact]
    public async Task Only_admins_manage_keys_users_and_servers()
    {
        await App.CreateUserAsync("opal", Roles.Operator, Roles.Approver);
        var page = await App.SignInAsync("opal");

        using var key = await page.PostAsync("/api/keys", new { name = "mine" });
        using var user = await page.PostAsync("/api/users", new { id = "mallory", displayName = "M", roles = new[] { "admin" } });
        using var promote = await page.SendAsync(HttpMethod.Put, "/api/users/opal", new { roles = new[] { "admin" } });
        using var enrol = await page.PostAsync("/api/servers", new { id = "sneaky-1" });
        using var rule = await page.PostAsync("/api/rules", new { role = "operator", command = "restart", target = "*" });

        foreach (var response in new[] { key, user, promote, enrol, rule })
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(await App.Get<IUserStore>().GetUserAsync("mallory"));
        Assert.DoesNotContain(Roles.Admin, (await App.Get<IUserStore>().GetUserAsync("opal"))!.Roles);
    }

    [Fact]
    public async Task The_last_admin_cannot_lose_the_admin_role()
    {
        using var admin = App.AdminClient();
        using var response = await admin.PutAsJsonAsync("/api/users/admin", new { roles = new[] { "viewer" } });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(Roles.Admin, (await App.Get<IUserStore>().GetUserAsync("admin"))!.Roles);
    }

    [Fact]
    public async Task Changing_ones_password_needs_the_current_one_and_signs_out_other_sessions()
    {
        await App.CreateUserAsync("cora", Roles.Viewer);
        var here = await App.SignInAsync("cora");
        var elsewhere = await App.SignInAsync("cora");

        using var wrong = await here.PostAsync("/api/auth/password", new { currentPassword = "nope-nope-nope", newPassword = "a-brand-new-passphrase" });
        using var changed = await here.PostAsync("/api/auth/password", new { currentPassword = ChatOpsApp.Password, newPassword = "a-brand-new-passphrase" });
        using var hereAfter = await here.GetAsync("/api/auth/me");
        using var elsewhereAfter = await elsewhere.GetAsync("/api/auth/me");
        using var client = App.Anonymous();
        using var oldPassword = await client.PostAsJsonAsync("/api/auth/login", new { username = "cora", password = ChatOpsApp.Password });

        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, hereAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhereAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
    }
}
