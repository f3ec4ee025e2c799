namespace ChatOps.Core.Domain;

/// <summary>A conversation of the built-in web channel (the console at <c>/</c> and <c>/api/chat</c>).</summary>
public sealed record ChatThread(string Id, string Channel, string UserId, string? CommandId, DateTimeOffset CreatedAt);

/// <summary>One message in a web-channel thread, numbered in order of arrival.</summary>
public sealed record ChatThreadMessage(string ThreadId, long Seq, string Author, string Text, DateTimeOffset At);
