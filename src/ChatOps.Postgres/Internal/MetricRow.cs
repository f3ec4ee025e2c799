using ChatOps.Core.Domain;

namespace ChatOps.Postgres.Internal;

/// <summary>One sample as a <c>metric_samples</c> row; equal keys are the same sample.</summary>
internal readonly record struct MetricRow(string ServerId, string Name, string Labels, DateTime At, double Value)
{
    /// <summary>The rows of a batch with duplicate keys removed (the first value wins), so a direct COPY cannot trip over its own rows.</summary>
    /// <exception cref="ArgumentException">A snapshot or sample is incomplete, or a value is not a finite number.</exception>
    public static List<MetricRow> From(IReadOnlyList<MetricSnapshot> batch)
    {
        var capacity = 0;
        foreach (var snapshot in batch)
        {
            Validate(snapshot);
            capacity += snapshot.Samples.Count;
        }

        var rows = new List<MetricRow>(capacity);
        var seen = new HashSet<(string, string, string, DateTime)>(capacity);
        foreach (var snapshot in batch)
        {
            var at = PostgresTime.ToDb(PostgresTime.Floor(snapshot.At, TimeSpan.FromTicks(10)));
            foreach (var sample in snapshot.Samples)
            {
                var labels = MetricLabelsJson.From(sample.Labels);
                if (seen.Add((snapshot.ServerId, sample.Name, labels, at)))
                {
                    rows.Add(new MetricRow(snapshot.ServerId, sample.Name, labels, at, sample.Value));
                }
            }
        }

        return rows;
    }

    /// <exception cref="ArgumentException">The snapshot cannot be stored as it is.</exception>
    public static void Validate(MetricSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (string.IsNullOrWhiteSpace(snapshot.ServerId))
        {
            throw new ArgumentException("a metric snapshot has no server id", nameof(snapshot));
        }

        if (snapshot.Samples is null)
        {
            throw new ArgumentException($"the metric snapshot of '{snapshot.ServerId}' has no samples list", nameof(snapshot));
        }

        foreach (var sample in snapshot.Samples)
        {
            if (sample is null || string.IsNullOrWhiteSpace(sample.Name))
            {
                throw new ArgumentException($"the metric snapshot of '{snapshot.ServerId}' at {snapshot.At:O} has a sample without a name", nameof(snapshot));
            }

            if (!double.IsFinite(sample.Value))
            {
                throw new ArgumentException($"metric '{sample.Name}' of '{snapshot.ServerId}' at {snapshot.At:O} is {sample.Value}, not a finite number", nameof(snapshot));
            }

            if (sample.Labels is not null && sample.Labels.Any(label => label.Key is null || label.Value is null))
            {
                throw new ArgumentException($"metric '{sample.Name}' of '{snapshot.ServerId}' has a label without a key or value", nameof(snapshot));
            }
        }
    }
}
