using Microsoft.Extensions.Options;

namespace ChatOps.Postgres.Internal;

/// <summary>Reports every bad setting at once, each by its configuration key, at start-up.</summary>
internal sealed class PostgresStoreOptionsValidator : IValidateOptions<PostgresStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresStoreOptions options)
    {
        var failures = options.Validate();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
