using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatOps.Slack.Internal;

/// <summary>
/// Links the users of <c>ChatOps:Slack:Users</c> at start-up, the way <c>ChatOps:Bootstrap:Admins</c>
/// links admins: a new user per identity, or missing roles added to the user already linked.
/// </summary>
internal sealed partial class SlackUserLinker(SlackOptions options, IUserStore users, TimeProvider time, ILogger<SlackUserLinker> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        SlackUserMappings.Parse(options.Users, out var mappings);
        foreach (var mapping in mappings)
        {
            if (await users.FindByIdentityAsync(mapping.Identity, cancellationToken) is { } linked)
            {
                var missing = mapping.Roles.Except(linked.Roles).ToList();
                if (missing.Count > 0) await users.UpsertUserAsync(linked with { Roles = [.. linked.Roles, .. missing] }, cancellationToken);
                continue;
            }

            var userId = mapping.Identity.Replace(':', '-').Replace('/', '-');
            await users.UpsertUserAsync(new User(userId, mapping.Identity, mapping.Roles, time.GetUtcNow()), cancellationToken);
            await users.LinkIdentityAsync(mapping.Identity, userId, cancellationToken);
            LogLinked(mapping.Identity, string.Join("+", mapping.Roles));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack identity {Identity} linked with roles {Roles} (ChatOps:Slack:Users)")]
    private partial void LogLinked(string identity, string roles);
}
