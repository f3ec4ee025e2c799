using Microsoft.Extensions.Options;

namespace ChatOps.Embedded.Bus;

/// <summary>Reports every bad setting at once, each by its name.</summary>
public sealed class InMemoryBusOptionsValidator : IValidateOptions<InMemoryBusOptions>
{
    public const int MaxPartitions = 1024;

    public ValidateOptionsResult Validate(string? name, InMemoryBusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Partitions is < 1 or > MaxPartitions)
        {
            failures.Add($"{nameof(InMemoryBusOptions.Partitions)} must be between 1 and {MaxPartitions} (was {options.Partitions}).");
        }

        if (options.MaxRetainedPerPartition < 1)
        {
            failures.Add($"{nameof(InMemoryBusOptions.MaxRetainedPerPartition)} must be at least 1 (was {options.MaxRetainedPerPartition}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
