namespace ChatOps.Core.Alerts.Evaluation;

/// <summary>
/// A rolling baseline: exponentially weighted mean and variance (West's incremental form), so the
/// newest samples count most and no history is kept. The z-score of a sample is taken against the
/// baseline before the sample joins it.
/// </summary>
public sealed class EwmaBaseline(double alpha)
{
    public int Count { get; private set; }
    public double Mean { get; private set; }
    public double Variance { get; private set; }
    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>How far <paramref name="value"/> is from the mean in standard deviations; null while warming up.</summary>
    public double? ZScore(double value, int warmUpSamples)
    {
        if (Count < warmUpSamples) return null;

        // A perfectly flat history has no spread; a floor keeps one tiny wobble from being "infinitely" anomalous.
        var spread = Math.Max(StandardDeviation, Math.Max(1e-9, Math.Abs(Mean) * 1e-3));
        return (value - Mean) / spread;
    }

    public void Add(double value)
    {
        if (Count++ == 0)
        {
            Mean = value;
            Variance = 0;
            return;
        }

        var difference = value - Mean;
        var increment = alpha * difference;
        Mean += increment;
        Variance = (1 - alpha) * (Variance + (difference * increment));
    }
}
