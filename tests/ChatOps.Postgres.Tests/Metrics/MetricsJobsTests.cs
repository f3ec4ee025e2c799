using ChatOps.Core.Domain;
using ChatOps.Postgres.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Quartz;
using static ChatOps.Postgres.Tests.Metrics.MetricsTestData;

namespace ChatOps.Postgres.Tests.Metrics;

/// <summary>The three jobs on a real Quartz scheduler, wired as a host would wire them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MetricsJobsTests(PostgresServerFixture server) : IAsyncLifetime
{
    private TestSchema _schema = null!;

    public async Task InitializeAsync() => _schema = await TestSchema.CreateAsync(server);

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task The_scheduled_jobs_create_partitions_roll_up_and_apply_retention_at_the_clock_s_now()
    {
        var now = H0.AddMinutes(5).AddSeconds(30);
        var old = new PostgresMetricsStore(_schema.DataSources);
        await old.AppendAsync([Cpu("web-1", now.AddDays(-40), 1), Cpu("web-1", H0.AddSeconds(10), 10), Cpu("web-1", H0.AddSeconds(20), 30)]);

        var listener = new ExecutedJobs();
        var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddSingleton<TimeProvider>(new FakeTimeProvider(now))
            .AddPostgresStore(o =>
            {
                o.ConnectionString = server.ConnectionString;
                o.Schema = _schema.Name;
            })
            .AddQuartz(quartz =>
            {
                quartz.AddPostgresMetricsJobs();
                quartz.AddJobListener(listener);
            });
        await using var provider = services.BuildServiceProvider();
        var scheduler = await provider.GetRequiredService<ISchedulerFactory>().GetScheduler();

        await scheduler.Start();
        try
        {
            await listener.AllRan.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await scheduler.Shutdown(true);
        }

        Assert.Empty(listener.Failures);
        var partitions = await _schema.QueryAsync<string>("SELECT tablename::text FROM pg_tables WHERE schemaname = @s ORDER BY 1", new { s = _schema.Name });
        Assert.Contains("metric_samples_p20250307", partitions);
        Assert.DoesNotContain($"metric_samples_p{now.AddDays(-40):yyyyMMdd}", partitions);
        Assert.Equal(20.0, await _schema.ScalarAsync<double>("SELECT value_sum / value_count FROM metric_1m WHERE bucket = @b", new { b = H0.UtcDateTime }));
    }

    /// <summary>Completes <see cref="AllRan"/> once each of the three metrics jobs has run once.</summary>
    private sealed class ExecutedJobs : IJobListener
    {
        private readonly HashSet<string> _ran = [];
        private readonly TaskCompletionSource _allRan = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => nameof(ExecutedJobs);

        public Task AllRan => _allRan.Task;

        public List<string> Failures { get; } = [];

        public ValueTask JobToBeExecuted(IJobExecutionContext context, CancellationToken cancellationToken = default) => default;

        public ValueTask JobExecutionVetoed(IJobExecutionContext context, CancellationToken cancellationToken = default) => default;

        public ValueTask JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken cancellationToken = default)
        {
            lock (_ran)
            {
                if (jobException is not null)
                {
                    Failures.Add($"{context.JobDetail.Key}: {jobException}");
                }

                _ran.Add(context.JobDetail.Key.Name);
                if (_ran.IsSupersetOf([nameof(MetricsPartitionJob), nameof(MetricsRollupJob), nameof(MetricsRetentionJob)]))
                {
                    _allRan.TrySetResult();
                }
            }

            return default;
        }
    }
}
