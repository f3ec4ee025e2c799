namespace ChatOps.Core.Commands;

/// <summary>How <see cref="CommandParser"/> reads chat text.</summary>
public sealed class CommandParserOptions
{
    /// <summary>The most characters a command may have (Slack allows 40,000; commands need far fewer).</summary>
    public int MaxLength { get; set; } = 4000;

    /// <summary>
    /// Extra names the bot answers to as a first word (besides <c>chatops</c>): <c>opsbot</c> also
    /// accepts <c>@opsbot</c>, <c>/opsbot</c> and a trailing <c>:</c> or <c>,</c>.
    /// </summary>
    public IList<string> BotNames { get; set; } = new List<string>();

    /// <summary>
    /// The bot's Slack user ids (<c>U123ABC</c>). When set, only a mention of one of them is taken
    /// as a prefix; when empty, any leading Slack mention is.
    /// </summary>
    public IList<string> BotUserIds { get; set; } = new List<string>();
}
