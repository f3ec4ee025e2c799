using System.Globalization;
using ChatOps.Core.Alerts.Rules;

namespace ChatOps.Core.Alerts.Evaluation;

public enum ObservationKind
{
    /// <summary>Passes the threshold (or the anomaly bound).</summary>
    Breaching,

    /// <summary>Back under the threshold but not past the clear threshold: hysteresis keeps a firing alert firing.</summary>
    Between,

    /// <summary>Past the clear threshold: a firing alert may resolve.</summary>
    Clear,

    /// <summary>No verdict (anomaly baseline still warming up).</summary>
    Unknown,
}

/// <summary>What one sample says about one rule.</summary>
public sealed record Observation(double Value, ObservationKind Kind, string? Detail = null)
{
    /// <summary>The threshold verdict: breach past the threshold, clear past the clear threshold, hysteresis between.</summary>
    public static Observation OfThreshold(AlertRule rule, double threshold, double value)
    {
        var kind = rule.Comparator.Holds(value, threshold) ? ObservationKind.Breaching
            : rule.Comparator.Holds(value, rule.ClearThreshold ?? threshold) ? ObservationKind.Between
            : ObservationKind.Clear;
        return new Observation(value, kind);
    }

    /// <summary>The anomaly verdict from a z-score (signed: the rule's direction decides which side counts).</summary>
    public static Observation OfAnomaly(AlertRule rule, AnomalySettings anomaly, double value, double? zScore, EwmaBaseline baseline)
    {
        if (zScore is not { } z) return new Observation(value, ObservationKind.Unknown, $"baseline warming up ({baseline.Count}/{anomaly.WarmUpSamples} samples)");
        var directed = rule.Comparator.IsUpward() ? z : -z;
        var kind = directed > anomaly.ZScore ? ObservationKind.Breaching
            : directed > anomaly.EffectiveClearZScore ? ObservationKind.Between
            : ObservationKind.Clear;
        var detail = string.Create(CultureInfo.InvariantCulture, $"z = {z:0.0} against a baseline of {baseline.Mean:0.##} ± {baseline.StandardDeviation:0.##}");
        return new Observation(value, kind, detail);
    }
}
