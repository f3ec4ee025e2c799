namespace ChatOps.Core.Agents;

/// <summary>The protocol's name of a frame (its <c>type</c>), for messages.</summary>
public static class AgentFrameNames
{
    public static string Of(AgentFrame? frame) =>
        frame?.GetType().Name.Replace("Frame", "", StringComparison.Ordinal).ToLowerInvariant() ?? "no";
}
