using System.Security.Cryptography;
using ChatOps.Core.Alerts;
using ChatOps.Core.Alerts.Rules;
using Microsoft.Extensions.Options;

namespace ChatOps.Server.Alerts;

/// <summary>
/// Puts the rules file in force and reloads it when its content changes (polled every
/// <see cref="AlertOptions.RulesReloadInterval"/> on the injected clock). A bad file is logged, one
/// line per problem naming the rule and field, and the rules in force stay as they were.
/// </summary>
public sealed partial class RulesFileWatcher(
    AlertRuleSet rules,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<RulesFileWatcher> logger) : BackgroundService
{
    private readonly AlertOptions _options = options.Value;
    private string? _loadedHash;

    /// <summary>Loads the file if it changed since the last load; true when new rules are in force.</summary>
    public bool ReloadIfChanged()
    {
        if (_options.RulesFile is not { } path) return false;
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogUnreadable(path, ex.Message, rules.Rules.Count);
            return false;
        }

        var hash = Convert.ToHexString(SHA256.HashData(content));
        if (hash == _loadedHash) return false;
        var result = RulesFileParser.Parse(System.Text.Encoding.UTF8.GetString(content));
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors) LogInvalid(path, error);
            LogKept(path, rules.Rules.Count);

            // Remember the bad content, so the same mistake is reported once, not on every poll.
            _loadedHash = hash;
            return false;
        }

        rules.SetFileContent(result.Rules, result.Schedules);
        _loadedHash = hash;
        LogLoaded(path, result.Rules.Count, result.Schedules.Count);
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.RulesFile is null) return;
        using var timer = new PeriodicTimer(_options.RulesReloadInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                ReloadIfChanged();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReloadFailed(ex, _options.RulesFile);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert rules file {Path}: {Rules} rule(s) and {Schedules} schedule(s) in force")]
    private partial void LogLoaded(string path, int rules, int schedules);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert rules file {Path} is invalid: {Problem}")]
    private partial void LogInvalid(string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert rules file {Path} not applied; keeping the previous {Count} rule(s) in force")]
    private partial void LogKept(string path, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert rules file {Path} cannot be read ({Reason}); keeping the previous {Count} rule(s) in force")]
    private partial void LogUnreadable(string path, string reason, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reloading the alert rules file {Path} failed")]
    private partial void LogReloadFailed(Exception error, string path);
}
