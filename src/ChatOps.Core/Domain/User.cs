namespace ChatOps.Core.Domain;

/// <summary>A person (or automation) with roles. Identities link chat accounts to a user.</summary>
public sealed record User(string Id, string DisplayName, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt);

/// <summary>The four roles, weakest first.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Approver = "approver";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Approver, Admin];
}

/// <summary>An API key as stored: only its hash, never the key.</summary>
public sealed record ApiKey(string Id, string UserId, string Name, string KeyHash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
