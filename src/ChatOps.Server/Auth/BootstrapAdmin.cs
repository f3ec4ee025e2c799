using ChatOps.Core.Domain;
using ChatOps.Core.Identity;
using ChatOps.Core.Ports;
using ChatOps.Core.Security;
using ChatOps.Server.Hosting;

namespace ChatOps.Server.Auth;

/// <summary>
/// Makes a fresh install usable: an <c>admin</c> user, an admin API key (from
/// <c>ChatOps:Bootstrap:ApiKey</c>, or generated and printed once when no key exists), a password for
/// the page (from <c>ChatOps:Bootstrap:AdminPassword</c>, or generated and printed once, when the admin
/// has none yet), and the chat identities of <c>ChatOps:Bootstrap:Admins</c> as admins.
/// </summary>
public sealed partial class BootstrapAdmin(
    ChatOpsSettings settings,
    AuthSettings auth,
    IUserStore users,
    IUserAccountStore accounts,
    PasswordHasher hasher,
    TimeProvider time,
    ILogger<BootstrapAdmin> logger) : IHostedService
{
    public const string AdminUserId = "admin";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (await users.GetUserAsync(AdminUserId, cancellationToken) is null)
            await users.UpsertUserAsync(new User(AdminUserId, "admin", [Roles.Admin], now), cancellationToken);

        if (settings.BootstrapApiKey is { } configured)
        {
            var hash = Secrets.Hash(configured);
            if (await users.FindApiKeyByHashAsync(hash, cancellationToken) is null)
            {
                try
                {
                    await users.CreateApiKeyAsync(new ApiKey("bootstrap-" + Secrets.NewShortId(6), AdminUserId, "bootstrap (ChatOps:Bootstrap:ApiKey)", hash, now, null), cancellationToken);
                    LogSeeded();
                }
                catch (InvalidOperationException)
                {
                    // Several processes starting together (scale mode) may race to seed the same key: one wins.
                    if (await users.FindApiKeyByHashAsync(hash, cancellationToken) is null) throw;
                }
            }
        }
        else if ((await users.ListApiKeysAsync(cancellationToken)).All(k => k.RevokedAt is not null))
        {
            var key = Secrets.NewToken("co_");
            await users.CreateApiKeyAsync(new ApiKey("initial-" + Secrets.NewShortId(6), AdminUserId, "initial admin key", Secrets.Hash(key), now, null), cancellationToken);
            // Shown once, on the console only: the store keeps just its hash.
            Console.WriteLine();
            Console.WriteLine("  ChatOps admin API key (shown once, keep it):");
            Console.WriteLine($"    {key}");
            Console.WriteLine("  Use it as 'Authorization: Bearer <key>' for scripts; people sign in on the page.");
            Console.WriteLine();
        }

        if (await accounts.GetPasswordHashAsync(AdminUserId, cancellationToken) is null)
        {
            var password = auth.BootstrapAdminPassword ?? Secrets.NewToken("");
            await accounts.SetPasswordHashAsync(AdminUserId, hasher.Hash(password), now, cancellationToken);
            if (auth.BootstrapAdminPassword is null)
            {
                // Shown once, on the console only: the store keeps a PBKDF2 hash.
                Console.WriteLine();
                Console.WriteLine("  ChatOps page sign-in (shown once, change it on the page):");
                Console.WriteLine($"    user: {AdminUserId}   password: {password}");
                Console.WriteLine();
            }
            else
            {
                LogPasswordSeeded();
            }
        }

        foreach (var identity in settings.BootstrapAdmins)
        {
            if (await users.FindByIdentityAsync(identity, cancellationToken) is { } linked)
            {
                if (!linked.Roles.Contains(Roles.Admin))
                    await users.UpsertUserAsync(linked with { Roles = [.. linked.Roles, Roles.Admin] }, cancellationToken);
                continue;
            }

            var userId = identity.Replace(':', '-').Replace('/', '-');
            await users.UpsertUserAsync(new User(userId, identity, [Roles.Admin], now), cancellationToken);
            await users.LinkIdentityAsync(identity, userId, cancellationToken);
            LogAdminLinked(identity);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the admin API key from ChatOps:Bootstrap:ApiKey")]
    private partial void LogSeeded();

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the admin password from ChatOps:Bootstrap:AdminPassword")]
    private partial void LogPasswordSeeded();

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap admin identity {Identity} linked")]
    private partial void LogAdminLinked(string identity);
}
