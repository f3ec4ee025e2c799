using Microsoft.Extensions.Options;

namespace ChatOps.Embedded.Sqlite.Internal;

/// <summary>Reports every bad setting at once, each by its configuration key.</summary>
internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("ChatOps:Sqlite:Path is empty: set it to the SQLite database file, e.g. ./data/chatops.db");
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"ChatOps:Sqlite:BusyTimeout must be a positive duration, not {options.BusyTimeout}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
