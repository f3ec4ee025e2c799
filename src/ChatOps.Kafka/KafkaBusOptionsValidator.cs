using Microsoft.Extensions.Options;

namespace ChatOps.Kafka;

/// <summary>Reports every bad Kafka setting at once, each by its key (see <see cref="KafkaBusOptions.Validate"/>).</summary>
public sealed class KafkaBusOptionsValidator : IValidateOptions<KafkaBusOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaBusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
