using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using ChatOps.Core.Observability;

namespace ChatOps.Server.Observability;

/// <summary>
/// Listens to the <c>ChatOps</c> meter and renders what it measured in Prometheus' text exposition
/// format for <c>GET /metrics</c>: counters summed, histograms bucketed, gauges and observable counters read at scrape time.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Series> _series = new();
    private readonly ConcurrentDictionary<string, Instrument> _instruments = new();

    public PrometheusExporter(ChatOpsMeter meter)
    {
        // This host's meter only: hosts sharing a process (tests, several apps) must not report each other's values.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, meter.Meter)) return;
            _instruments[instrument.Name] = instrument;
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var group in _series.Values.GroupBy(s => s.Instrument.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var instrument = group.First().Instrument;
            var type = instrument switch
            {
                Histogram<double> or Histogram<long> => "histogram",
                ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int> => "gauge",
                _ => "counter",
            };
            text.Append("# HELP ").Append(instrument.Name).Append(' ').Append(instrument.Description ?? instrument.Name).Append('\n');
            text.Append("# TYPE ").Append(instrument.Name).Append(' ').Append(type).Append('\n');
            foreach (var series in group.OrderBy(s => s.Labels, StringComparer.Ordinal))
                series.Write(text, type);
        }

        return text.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var series = _series.GetOrAdd(instrument.Name + "{" + labels + "}", _ => new Series(instrument, labels));
        series.Add(value, ReportsLatest(instrument));
    }

    // A gauge is its latest reading; so is an observable counter, which reports its running total at each scrape.
    private static bool ReportsLatest(Instrument instrument) =>
        instrument is ObservableGauge<long> or ObservableGauge<double> or ObservableGauge<int>
            or ObservableCounter<long> or ObservableCounter<double> or ObservableCounter<int>;

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<string>(tags.Length);
        foreach (var tag in tags)
            pairs.Add($"{tag.Key}=\"{Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")}\"");
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(',', pairs);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public void Dispose() => _listener.Dispose();

    private sealed class Series(Instrument instrument, string labels)
    {
        private readonly Lock _sync = new();
        private readonly long[] _bucketCounts = new long[Buckets.Length];
        private double _sum;
        private long _count;
        private double _last;

        public Instrument Instrument { get; } = instrument;
        public string Labels { get; } = labels;

        public void Add(double value, bool isGauge)
        {
            lock (_sync)
            {
                _last = value;
                if (isGauge) return;
                _sum += value;
                _count++;
                for (var i = 0; i < Buckets.Length; i++)
                    if (value <= Buckets[i]) _bucketCounts[i]++;
            }
        }

        public void Write(StringBuilder text, string type)
        {
            lock (_sync)
            {
                var name = Instrument.Name;
                switch (type)
                {
                    case "gauge":
                        Line(text, name, Labels, _last);
                        break;
                    case "counter":
                        Line(text, name, Labels, ReportsLatest(Instrument) ? _last : _sum);
                        break;
                    default:
                        for (var i = 0; i < Buckets.Length; i++)
                            Line(text, name + "_bucket", Join(Labels, $"le=\"{Buckets[i].ToString(CultureInfo.InvariantCulture)}\""), _bucketCounts[i]);
                        Line(text, name + "_bucket", Join(Labels, "le=\"+Inf\""), _count);
                        Line(text, name + "_sum", Labels, _sum);
                        Line(text, name + "_count", Labels, _count);
                        break;
                }
            }
        }

        private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

        private static void Line(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0) text.Append('{').Append(labels).Append('}');
            text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
