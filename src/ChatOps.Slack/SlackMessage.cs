namespace ChatOps.Slack;

/// <summary>
/// A message for Slack: <see cref="Text"/> is the whole message when there are no blocks, and the
/// notification fallback when there are. <see cref="BlocksJson"/> is a Block Kit array, already JSON.
/// </summary>
public sealed record SlackMessage(string Text, string? BlocksJson = null);
