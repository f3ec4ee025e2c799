using ChatOps.Core;
using ChatOps.Core.Agents;
using ChatOps.Core.Routing;
using ChatOps.Embedded;
using ChatOps.Redis;
using ChatOps.Server.Admin;
using ChatOps.Server.Agents;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;
using ChatOps.Server.Health;
using ChatOps.Server.Web;

namespace ChatOps.Server.Hosting;

/// <summary>The wiring of the <c>chatops</c> host, in one readable place.</summary>
public static class ServerComposition
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>Binds the module options; returns every problem found, each naming its key.</summary>
    public static IReadOnlyList<string> AddChatOpsServer(this WebApplicationBuilder builder, ChatOpsSettings settings)
    {
        var errors = new List<string>();
        var router = Bind<RouterOptions>(builder, "ChatOps:Router", errors);
        var gateway = Bind<AgentGatewayOptions>(builder, "ChatOps:Gateway", errors);
        errors.AddRange(router.Validate());
        errors.AddRange(gateway.Validate());

        // Loopback by default: the embedded default must not be reachable from the network by accident.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
            builder.WebHost.UseUrls(DefaultUrl);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSqliteStore(o => o.Path = settings.SqlitePath);
        services.AddInMemoryBus();
        if (settings.State == "redis") AddRedis(builder, errors);
        else services.AddInMemoryState();
        services.AddChatOpsCore();
        services.Configure<RouterOptions>(o => Copy(router, o));
        services.Configure<AgentGatewayOptions>(o => Copy(gateway, o));
        errors.AddRange(builder.AddChatOpsAdmin(settings));
        services.AddHostedService<BootstrapAdmin>();
        services.AddHostedService<ModuleHost>();
        if (settings.LocalAgentEnabled) services.AddHostedService<LocalAgentHost>();
        return errors;
    }

    private static void AddRedis(WebApplicationBuilder builder, List<string> errors)
    {
        var redis = Bind<RedisStateOptions>(builder, RedisStateOptions.Section, errors);
        // The configuration string may carry a password, so it may also come from a file.
        if (ChatOpsSettings.SecretValue(builder.Configuration.GetSection("ChatOps"), "Redis:Configuration", errors) is { } configuration)
            redis.Configuration = configuration;
        errors.AddRange(redis.Validate());
        builder.Services.AddRedisState(o => Copy(redis, o));
    }

    public static WebApplication MapChatOps(this WebApplication app, ChatOpsSettings settings)
    {
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(new { error = "internal", message = $"Something went wrong on our side; the server log has the details (trace {context.TraceIdentifier})." });
        }));
        app.UseSecurityHeaders();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.UseChatOpsAuth();
        app.MapHealth();
        if (settings.Runs("web") || settings.Runs("chat"))
        {
            app.MapConsolePage();
            app.MapAuthApi();
        }

        if (settings.Runs("chat")) app.MapChatApi();
        if (settings.Runs("web")) app.MapAdminApi();

        if (settings.Runs("agent-gateway")) app.MapAgentEndpoint();
        return app;
    }

    private static T Bind<T>(WebApplicationBuilder builder, string section, List<string> errors) where T : new()
    {
        try
        {
            return builder.Configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{section}: {ex.Message}");
            return new T();
        }
    }

    private static void Copy<T>(T from, T to)
    {
        foreach (var property in typeof(T).GetProperties().Where(p => p.CanWrite))
            property.SetValue(to, property.GetValue(from));
    }
}
