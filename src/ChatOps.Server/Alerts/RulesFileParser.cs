using ChatOps.Core.Alerts.Rules;
using Quartz;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace ChatOps.Server.Alerts;

/// <summary>
/// Reads the rules file (<c>ChatOps:Alerts:RulesFile</c>, YAML; see deploy/README.md): YAML syntax
/// and unknown keys are reported with their line and column, everything else by rule and field.
/// </summary>
public static class RulesFileParser
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    public static AlertRulesReadResult Parse(string yaml)
    {
        AlertRulesDocument? document;
        try
        {
            document = Yaml.Deserialize<AlertRulesDocument?>(yaml);
        }
        catch (YamlException ex)
        {
            var inner = ex.InnerException is { } cause and not YamlException ? $": {cause.Message}" : "";
            return new AlertRulesReadResult([], [], [$"line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}{inner}"]);
        }

        var result = AlertRulesDocumentReader.Read(document);
        var cronErrors = result.Schedules
            .Where(schedule => !CronExpression.TryParse(schedule.Cron, out _))
            .Select(schedule => $"schedule '{schedule.Name}': field 'cron': '{schedule.Cron}' is not a Quartz cron expression (seconds first, e.g. \"0 0 3 * * ?\")")
            .ToList();
        return cronErrors.Count == 0 ? result : result with { Errors = [.. result.Errors, .. cronErrors] };
    }

    public static AlertRulesReadResult ParseFile(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new AlertRulesReadResult([], [], [$"cannot read the file: {ex.Message}"]);
        }
    }
}
