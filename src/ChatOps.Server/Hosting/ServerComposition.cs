using ChatOps.Core;
using ChatOps.Core.Agents;
using ChatOps.Core.Observability;
using ChatOps.Core.Routing;
using ChatOps.Embedded;
using ChatOps.Kafka;
using ChatOps.Postgres;
using ChatOps.Redis;
using Quartz;
using ChatOps.Server.Admin;
using ChatOps.Server.Agents;
using ChatOps.Server.Alerts;
using ChatOps.Server.Auth;
using ChatOps.Server.Chat;
using ChatOps.Server.Health;
using ChatOps.Server.Observability;
using ChatOps.Server.Web;
using ChatOps.Slack;
using ChatOps.Teams;

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
        errors.AddRange(builder.AddChatOpsTelemetry(settings));
        var agentCertificates = AgentClientCertificates.Read(builder.Configuration, errors);
        agentCertificates.ConfigureKestrel(builder);
        builder.Services.AddSingleton(agentCertificates);
        // Per-request and per-SQL lines drown what an operator needs; Logging:LogLevel:* can raise them again.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(settings);
        if (settings.Store == "postgres") AddPostgres(builder, settings, errors);
        else services.AddSqliteStore(o => o.Path = settings.SqlitePath);
        if (settings.Bus == "kafka") AddKafka(builder, errors);
        else services.AddInMemoryBus();
        services.AddEventBusTracing();
        if (settings.State == "redis") AddRedis(builder, errors);
        else services.AddInMemoryState();
        services.AddChatOpsCore();
        services.AddChatOpsObservability();
        services.Configure<RouterOptions>(o => Copy(router, o));
        services.Configure<AgentGatewayOptions>(o => Copy(gateway, o));
        if (settings.Runs("alerts") || settings.Runs("notifications") || settings.Runs("scheduler"))
            errors.AddRange(builder.AddChatOpsAlerting(settings));
        errors.AddRange(builder.AddChatOpsAdmin(settings));
        services.AddHostedService<BootstrapAdmin>();
        services.AddHostedService<ModuleHost>();
        if (settings.LocalAgentEnabled) services.AddHostedService<LocalAgentHost>();

        // Slack, when any ChatOps:Slack setting is present (SigningSecret, BotToken, Socket Mode).
        var slack = SlackOptions.Read(builder.Configuration.GetSection(SlackOptions.SectionName));
        if (slack.IsConfigured && slack.Validate() is var slackErrors)
        {
            errors.AddRange(slackErrors);
            if (slackErrors.Count == 0) services.AddSlack(slack);
        }

        // Microsoft Teams, when an app id is configured (its chat client serves the notifier in any mode).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["ChatOps:Teams:AppId"]))
        {
            var teams = TeamsOptions.Read(builder.Configuration.GetSection(TeamsOptions.SectionName));
            var teamsErrors = teams.Validate();
            errors.AddRange(teamsErrors);
            if (teamsErrors.Count == 0) services.AddTeams(teams);
        }

        return errors;
    }

    private static void AddKafka(WebApplicationBuilder builder, List<string> errors)
    {
        var kafka = Bind<KafkaBusOptions>(builder, KafkaBusOptions.Section, errors);
        errors.AddRange(kafka.Validate());
        builder.Services.AddKafkaBus(o => Copy(kafka, o));
    }

    private static void AddPostgres(WebApplicationBuilder builder, ChatOpsSettings settings, List<string> errors)
    {
        var postgres = Bind<PostgresStoreOptions>(builder, PostgresStoreOptions.SectionName, errors);
        if (ChatOpsSettings.SecretValue(builder.Configuration.GetSection("ChatOps"), "Postgres:ConnectionString", errors) is { } connection)
            postgres.ConnectionString = connection;
        if (ChatOpsSettings.SecretValue(builder.Configuration.GetSection("ChatOps"), "Postgres:ReadReplicaConnectionString", errors) is { } replica)
            postgres.ReadReplicaConnectionString = replica;
        errors.AddRange(postgres.Validate());
        builder.Services.AddPostgresStore(o => Copy(postgres, o));
        if (settings.Runs("metrics"))
        {
            // Partitions ahead, rollups and retention: idempotent jobs, so every metrics replica may run them.
            builder.Services.AddQuartz(q => q.AddPostgresMetricsJobs());
            builder.Services.AddQuartzHostedService();
        }
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
        app.UseChatIntakeTracing();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.UseChatOpsAuth();
        app.MapHealth();
        app.MapMetrics();
        if (settings.Runs("web") || settings.Runs("chat"))
        {
            app.MapConsolePage();
            app.MapAuthApi();
        }

        if (settings.Runs("chat")) app.MapChatApi();
        if (settings.Runs("chat") && app.Services.GetService<SlackOptions>() is not null) app.MapSlack();
        if (settings.Runs("web"))
        {
            app.MapAdminApi();
            app.MapAlertApi();
        }

        if (settings.Runs("agent-gateway")) app.MapAgentEndpoint();
        if (settings.Runs("chat") && app.Services.GetService<TeamsOptions>() is not null) app.MapTeams();
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
