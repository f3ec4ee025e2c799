using System.Collections.Frozen;
using ChatOps.Core.Domain;

namespace ChatOps.Postgres.Internal;

/// <summary>Command states as snake_case text (<c>awaiting_approval</c>), as the API and the SQLite store spell them.</summary>
internal static class CommandStateText
{
    private static readonly FrozenDictionary<CommandState, string> Names =
        Enum.GetValues<CommandState>().ToFrozenDictionary(state => state, CommandStateNames.Of);

    private static readonly FrozenDictionary<string, CommandState> States =
        Names.ToFrozenDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    public static string ToText(CommandState state) =>
        Names.TryGetValue(state, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(state), state, "not a defined command state");

    public static CommandState FromText(string text) =>
        States.TryGetValue(text, out var state) ? state : throw new InvalidDataException($"unknown command state '{text}' in the store");
}
