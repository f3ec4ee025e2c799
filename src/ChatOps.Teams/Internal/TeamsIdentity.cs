using ChatOps.Core.Domain;
using ChatOps.Core.Identity;

namespace ChatOps.Teams.Internal;

/// <summary>Who sent an activity, as (tenant, AAD object id) from a validated request: never from names in it.</summary>
internal sealed record TeamsSender(string Identity, User? User, string DisplayName);

/// <summary>
/// Maps a Teams user to a ChatOps user: first <c>teams:{tenantId}/{aadObjectId}</c>, then
/// <c>teams:{aadObjectId}</c> (the form <c>ChatOps:Bootstrap:Admins</c> links). Display names and
/// the <c>29:…</c> channel ids are never used to authorise.
/// </summary>
internal sealed class TeamsIdentity(UserDirectory users)
{
    private const int MaxNameLength = 100;

    public async Task<TeamsSender> ResolveAsync(Activity activity, CancellationToken cancellationToken)
    {
        var aad = activity.From?.AadObjectId;
        var tenant = activity.TenantId;
        var name = string.IsNullOrWhiteSpace(activity.From?.Name) ? "a Teams user" : activity.From.Name.Trim();
        if (name.Length > MaxNameLength) name = name[..MaxNameLength] + "…";
        if (!IsId(aad))
            return new TeamsSender($"teams:{(IsId(tenant) ? tenant + "/" : "")}(no AAD object id)", null, name);

        var qualified = IsId(tenant) ? $"teams:{tenant}/{aad}" : null;
        var user = qualified is null ? null : await users.FindByIdentityAsync(qualified, cancellationToken);
        user ??= await users.FindByIdentityAsync($"teams:{aad}", cancellationToken);
        return new TeamsSender(qualified ?? $"teams:{aad}", user, name);
    }

    // AAD object and tenant ids are GUIDs; anything else is not looked up.
    private static bool IsId(string? value) =>
        value is { Length: > 0 and <= 64 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
