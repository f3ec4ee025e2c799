using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatOps.Teams.Internal;

// Bot Framework activity DTOs (camelCase on the wire). Receivers MUST accept fields they do not
// understand (A2005), so each type keeps them in ExtensionData instead of failing or losing them.

internal sealed class Activity
{
    public string? Type { get; set; }
    public string? Id { get; set; }
    public string? Timestamp { get; set; }
    public string? ServiceUrl { get; set; }
    public string? ChannelId { get; set; }
    public ChannelAccount? From { get; set; }
    public ChannelAccount? Recipient { get; set; }
    public ConversationAccount? Conversation { get; set; }
    public string? Text { get; set; }
    public string? TextFormat { get; set; }
    public string? Locale { get; set; }
    public string? ReplyToId { get; set; }
    public string? Name { get; set; }
    public JsonElement? Value { get; set; }
    public TeamsChannelData? ChannelData { get; set; }
    public List<JsonElement>? Entities { get; set; }
    public List<JsonElement>? Attachments { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>The tenant, from Teams' channel data or the conversation (both are sent).</summary>
    public string? TenantId => ChannelData?.Tenant?.Id ?? Conversation?.TenantId;
}

internal sealed class ChannelAccount
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? AadObjectId { get; set; }
    public string? Role { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

internal sealed class ConversationAccount
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public bool? IsGroup { get; set; }
    public string? ConversationType { get; set; }
    public string? TenantId { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

internal sealed class TeamsChannelData
{
    public TeamsIdentifier? Tenant { get; set; }
    public TeamsIdentifier? Team { get; set; }
    public TeamsIdentifier? Channel { get; set; }
    public string? EventType { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

internal sealed class TeamsIdentifier
{
    public string? Id { get; set; }
    public string? Name { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

internal static class ActivityTypes
{
    public const string Message = "message";
    public const string Invoke = "invoke";
    public const string AdaptiveCardAction = "adaptiveCard/action";
}
