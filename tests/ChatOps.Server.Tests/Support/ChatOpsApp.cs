using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Server.Tests.Support;

/// <summary>
/// The real <c>chatops</c> host in memory (WebApplicationFactory over Program), on its own temporary
/// SQLite file, without the local agent, with a known admin API key and admin password. Passwords are
/// hashed with few PBKDF2 iterations so sign-in tests stay fast (production refuses fewer than 600,000).
/// </summary>
public sealed class ChatOpsApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";
    public const string AdminPassword = "admin-password-123456";
    public const string Password = "correct-horse-battery-staple";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _folder = Directory.CreateTempSubdirectory("chatops-server-tests-").FullName;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public ChatOpsApp(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["ChatOps:Sqlite:Path"] = Path.Combine(_folder, "chatops.db"),
            ["ChatOps:Bootstrap:ApiKey"] = AdminKey,
            ["ChatOps:Bootstrap:AdminPassword"] = AdminPassword,
            ["ChatOps:LocalAgent:Enabled"] = "false",
            ["ChatOps:Router:SweepInterval"] = "00:00:00.200",
            ["ChatOps:RateLimits:LoginPerMinute"] = "1000",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) _settings[key] = value;
        _services = services;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// Serves on a real loopback port (Kestrel) instead of the in-memory test server, for a real
    /// browser and a real agent; returns the base address. Call before anything else starts the host.
    /// </summary>
    public Uri StartOnKestrel()
    {
        _settings["urls"] = "http://127.0.0.1:0";
        UseKestrel();
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.Single());
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(new PasswordHasher(iterations: 1_000));
            _services?.Invoke(services);
        });
    }

    /// <summary>A client that sends the admin API key.</summary>
    public HttpClient AdminClient() => KeyClient(AdminKey);

    public HttpClient KeyClient(string key)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A client without credentials.</summary>
    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

    /// <summary>Creates a user with <paramref name="roles"/> and a password, straight in the stores.</summary>
    public async Task<User> CreateUserAsync(string id, params string[] roles)
    {
        var user = new User(id, char.ToUpperInvariant(id[0]) + id[1..], roles, DateTimeOffset.UtcNow);
        await Get<IUserStore>().UpsertUserAsync(user);
        await Get<IUserAccountStore>().SetPasswordHashAsync(id, Get<PasswordHasher>().Hash(Password), DateTimeOffset.UtcNow);
        return user;
    }

    /// <summary>An API key of <paramref name="userId"/> (created in the store, as an admin would).</summary>
    public async Task<string> CreateKeyAsync(string userId)
    {
        var key = Secrets.NewToken("co_");
        await Get<IUserStore>().CreateApiKeyAsync(new ApiKey("k" + Secrets.NewShortId(), userId, "test", Secrets.Hash(key), DateTimeOffset.UtcNow, null));
        return key;
    }

    /// <summary>Signs in like the page does and returns a browser-like session (cookies + CSRF header).</summary>
    public async Task<PageSession> SignInAsync(string user, string? password = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });
        using var response = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password = password ?? (user == "admin" ? AdminPassword : Password) });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in of {user} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new PageSession(client, body.GetProperty("csrfToken").GetString()!);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }
}

/// <summary>A signed-in page: its cookies travel by themselves; state-changing calls add the CSRF header.</summary>
public sealed class PageSession(HttpClient client, string csrfToken)
{
    public HttpClient Client { get; } = client;
    public string CsrfToken { get; } = csrfToken;

    public Task<HttpResponseMessage> GetAsync(string path) => Client.GetAsync(path);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, bool withCsrf = true, string? origin = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        if (withCsrf) request.Headers.Add("X-CSRF-Token", CsrfToken);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);
}
