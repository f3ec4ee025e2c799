using Microsoft.Extensions.Options;

namespace ChatOps.Redis.Internal;

/// <summary>Reports every bad setting at once at start-up, each by its configuration key.</summary>
internal sealed class RedisStateOptionsValidator : IValidateOptions<RedisStateOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisStateOptions options)
    {
        var failures = options.Validate();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
