namespace ChatOps.Core.Commands;

/// <summary>The commands ChatOps knows. Names are lowercase ASCII.</summary>
public interface ICommandCatalog
{
    CommandDefinition? Find(string name);

    /// <summary>Ordered by name.</summary>
    IReadOnlyList<CommandDefinition> All { get; }
}
