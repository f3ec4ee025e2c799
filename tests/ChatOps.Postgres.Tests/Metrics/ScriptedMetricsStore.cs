using System.Threading.Channels;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Postgres.Tests.Metrics;

/// <summary>
/// A hand-written <see cref="IMetricsStore"/> whose every AppendAsync call waits for the test to
/// answer it: store it, or fail it. Calls are reported on <see cref="Calls"/> in order.
/// </summary>
internal sealed class ScriptedMetricsStore : IMetricsStore
{
    private readonly Channel<Call> _calls = Channel.CreateUnbounded<Call>();

    public List<MetricSnapshot> Stored { get; } = [];

    public ChannelReader<Call> Calls => _calls.Reader;

    public async Task AppendAsync(IReadOnlyList<MetricSnapshot> batch, CancellationToken cancellationToken = default)
    {
        var call = new Call([.. batch]);
        await _calls.Writer.WriteAsync(call, cancellationToken);
        await call.Answer.Task.WaitAsync(cancellationToken);
        lock (Stored)
        {
            Stored.AddRange(batch);
        }
    }

    public Task<MetricSeries> QueryAsync(MetricQuery query, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the ingestor only appends");

    /// <summary>The next call, waiting at most 10 s for it.</summary>
    public async Task<Call> NextCallAsync() => await _calls.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public sealed class Call(IReadOnlyList<MetricSnapshot> batch)
    {
        public IReadOnlyList<MetricSnapshot> Batch { get; } = batch;

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Store() => Answer.SetResult();

        public void Fail() => Answer.SetException(new InvalidOperationException("the database is away"));
    }
}
