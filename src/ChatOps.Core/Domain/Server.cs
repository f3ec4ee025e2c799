namespace ChatOps.Core.Domain;

/// <summary>A managed host. Tags are <c>key:value</c> strings such as <c>role:web</c>.</summary>
public sealed record Server(string Id, string? Name, IReadOnlyList<string> Tags, DateTimeOffset CreatedAt);
