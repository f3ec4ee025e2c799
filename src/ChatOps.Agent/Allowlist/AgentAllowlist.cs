using System.Diagnostics.CodeAnalysis;

namespace ChatOps.Agent.Allowlist;

/// <summary>
/// The actions this agent will run, loaded from its own JSON file. Whatever the server sends, only
/// these programs with these argv shapes can ever be started.
/// </summary>
internal sealed class AgentAllowlist
{
    private readonly Dictionary<string, AllowlistAction> _actions;

    public AgentAllowlist(IEnumerable<AllowlistAction> actions)
    {
        _actions = actions.ToDictionary(a => a.Name, StringComparer.Ordinal);
        ActionNames = [.. _actions.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Sorted action names, as announced in the hello frame.</summary>
    public IReadOnlyList<string> ActionNames { get; }

    public bool TryGet(string name, [NotNullWhen(true)] out AllowlistAction? action) =>
        _actions.TryGetValue(name, out action);

    /// <summary>Loads and checks a file; throws <see cref="AllowlistException"/> listing every problem.</summary>
    public static AgentAllowlist Load(string path) => AllowlistLoader.Load(path);
}
