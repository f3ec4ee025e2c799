using System.Text.Encodings.Web;
using ChatOps.Core.Approvals;
using ChatOps.Core.Identity;
using ChatOps.Embedded;
using ChatOps.Redis;
using ChatOps.Server.Auth;
using ChatOps.Server.Hosting;
using ChatOps.Server.Web;

namespace ChatOps.Server.Admin;

/// <summary>The wiring of the web module: sign-in, sessions, permissions, approvals, the admin API and the live feed.</summary>
public static partial class AdminComposition
{
    /// <summary>Registers auth, the access stores and the live feed; returns every settings problem, each naming its key.</summary>
    public static IReadOnlyList<string> AddChatOpsAdmin(this WebApplicationBuilder builder, ChatOpsSettings settings)
    {
        var errors = new List<string>();
        var auth = AuthSettings.Read(builder.Configuration, settings, errors);
        var services = builder.Services;
        services.AddSingleton(auth);
        services.AddSingleton(new PasswordHasher(auth.PasswordIterations));
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<SessionService>();
        // The PostgreSQL adapter registers its own IPolicyStore, IApprovalStore and IUserAccountStore.
        if (settings.Store == "sqlite") services.AddSqliteAccessStores();
        if (settings.State == "redis") services.AddRedisSessions();
        else services.AddInMemorySessions();
        services.Configure<CommandThrottleOptions>(o => o.PerMinute = auth.CommandsPerMinute);
        services.Configure<ApprovalOptions>(o => o.Expiry = auth.ApprovalExpiry);
        // Answers carry agent output and chat text: escape < > & ' " too, so no JSON answer ever holds markup.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.Default);
        if (settings.State == "redis") services.AddRedisLiveSubscriptions();
        else services.AddInMemoryLiveSubscriptions();
        services.AddSingleton<LiveFeed>();
        if (settings.Runs("web")) services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());
        services.AddHostedService<SigningKeyWarning>();
        return errors;
    }

    /// <summary>The gate every request passes (authentication, CSRF, Origin, rate limits); before any endpoint.</summary>
    public static IApplicationBuilder UseChatOpsAuth(this IApplicationBuilder app) => app.UseMiddleware<AuthMiddleware>();

    /// <summary>The REST API behind the page.</summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapServerApi();
        app.MapCommandApi();
        app.MapUserApi();
        app.MapApiKeyApi();
        app.MapPolicyApi();
        app.MapApprovalApi();
        app.MapAuditApi();
        app.MapLiveFeed();
        return app;
    }

    /// <summary>Says once at start when tokens are signed with a key only this process knows.</summary>
    private sealed partial class SigningKeyWarning(AuthSettings auth, ChatOpsSettings settings, ILogger<SigningKeyWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (auth.SigningKeyGenerated && (settings.State == "redis" || settings.Services.Count < ChatOpsSettings.KnownServices.Count))
                LogGeneratedKey();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "ChatOps:Auth:SigningKey is not set: this process signs page sessions with a key of its own, so other nodes will not accept them. Set the same key on every node.")]
        private partial void LogGeneratedKey();
    }
}
