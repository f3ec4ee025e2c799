using System.Globalization;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Tests.Support;
using Dapper;
using Npgsql;
using Xunit.Abstractions;
using static ChatOps.Conformance.Store.StoreTestData;

namespace ChatOps.Postgres.Tests.Store;

/// <summary>
/// Reliability test 21 with a real fail-over: the stores run on a multi-host connection string
/// (primary, then its synchronous standby, <c>Target Session Attributes=primary</c>) under
/// concurrent duplicate creates, transitions, claims and generation bumps; part-way the primary
/// crashes and the standby is promoted. Every call and its answer go into a history that is
/// checked against the promoted server's rows at the end.
/// </summary>
public sealed class PostgresFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Schema = "failover";
    private const int Lanes = 6;
    private const int LifecyclesBeforeFailover = 60;
    private const int LifecyclesAfterFailover = 60;
    private static readonly TimeSpan WorkloadTimeout = TimeSpan.FromSeconds(60);

    private PostgresReplicaSet? _set;

    private PostgresReplicaSet Set => _set ?? throw new InvalidOperationException("the replica set starts in InitializeAsync");

    public async Task InitializeAsync() => _set = await PostgresReplicaSet.StartAsync();

    public async Task DisposeAsync()
    {
        // Null when StartAsync failed: it cleaned up after itself.
        if (_set is not null)
        {
            await _set.DisposeAsync();
        }
    }

    [Fact]
    public async Task Acknowledged_creates_transitions_claims_and_generations_survive_a_primary_failover()
    {
        var retryLog = new RetryLog();
        // Retries spread over about 3 s: enough to outlast the promotion on a busy machine, as a
        // deployment sizes them to outlast its own fail-over (deploy/README.md).
        await using var dataSources = new PostgresDataSources(
            new PostgresStoreOptions { ConnectionString = Set.MultiHostConnectionString, Schema = Schema, MaxRetryAttempts = 6, RetryDelay = TimeSpan.FromMilliseconds(50) },
            TimeProvider.System,
            retryLog);
        await new PostgresMigrator(dataSources, TimeProvider.System).MigrateAsync();
        await InjectSerializationFailuresAsync();
        var workload = new Workload(
            new PostgresCommandStore(dataSources),
            new PostgresAgentCredentialStore(dataSources, TimeProvider.System),
            new PostgresNotificationLedger(dataSources));

        var lanes = Enumerable.Range(0, Lanes).Select(_ => Task.Run(workload.RunLaneAsync)).ToList();
        FailoverEntry[] heldOutcomes;
        try
        {
            await workload.Completed(LifecyclesBeforeFailover).WaitAsync(WorkloadTimeout);
            var held = await workload.HoldWritesAsync(Set.Primary);
            await Set.FailOverAsync();
            workload.History.MarkFailedOver();
            heldOutcomes = await held.Calls.WaitAsync(WorkloadTimeout);
            await held.Locker.DisposeAsync();
            var completedAtFailover = workload.CompletedCount;
            await workload.Completed(completedAtFailover + LifecyclesAfterFailover).WaitAsync(WorkloadTimeout);
        }
        finally
        {
            // Also when a step above failed: no lane may keep running against disposed pools.
            workload.Stop();
            await Task.WhenAll(lanes).WaitAsync(WorkloadTimeout);
        }

        var history = workload.History.Entries;
        var violations = FailoverHistoryCheck.Violations(history, await ReadFinalStateAsync());
        var failures = history.Where(e => !e.Acknowledged).GroupBy(e => e.Failure!.Value).ToDictionary(g => g.Key, g => g.Count());
        var retried = retryLog.Retries.GroupBy(line => line.Contains("40001", StringComparison.Ordinal) ? "40001" : "connection")
            .ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(
            $"{history.Count} operations ({history.Count(e => e.AfterFailover)} started after the fail-over), {workload.CompletedCount} lifecycles; " +
            $"surfaced: {Describe(failures)}; retried by the store: {Describe(retried)}");
        foreach (var unexpected in history.Where(e => e.Failure == FailureKind.Unexpected).Take(5))
        {
            output.WriteLine($"unexpected: {unexpected.Op} {unexpected.Key}: {unexpected.Error}");
        }

        Assert.True(violations.Count == 0, string.Join('\n', violations.Take(30)));
        // Every failure a caller saw is one the contract names: a 40001 after the bounded retries,
        // or a lost connection. Every one of them is in the history, and the checks above hold
        // with each of them counted as "may or may not have applied".
        Assert.False(failures.ContainsKey(FailureKind.Unexpected), "a store call failed with an error other than 40001 or a lost connection");
        Assert.True(retried.GetValueOrDefault("40001") > 0, "no serialization failure was retried");

        // The writes blocked on a row lock when the primary died: those that must run once are
        // surfaced (the caller cannot know whether they applied), not answered false and not
        // repeated; the idempotent completion is repeated on the promoted server and succeeds.
        Assert.Equal(FailureKind.LostConnection, heldOutcomes[0].Failure);
        Assert.Equal(FailureKind.LostConnection, heldOutcomes[1].Failure);
        Assert.True(heldOutcomes[2].Acknowledged, $"the idempotent completion was not retried onto the promoted server: {heldOutcomes[2].Error}");

        // After the fail-over the stores work on the promoted server: new commands were created there.
        Assert.Contains(history, e => e is { AfterFailover: true, Op: FailoverOp.Create } && e.Returned(true));
    }

    [Fact]
    public async Task The_first_call_after_the_promotion_reaches_the_promoted_standby()
    {
        await using var dataSources = new PostgresDataSources(
            new PostgresStoreOptions { ConnectionString = Set.MultiHostConnectionString, Schema = Schema }, TimeProvider.System);
        await new PostgresMigrator(dataSources, TimeProvider.System).MigrateAsync();
        var commands = new PostgresCommandStore(dataSources);
        Assert.True(await commands.TryCreateAsync(Command("before")));

        await Set.Primary.CrashAsync();
        // With no primary anywhere the read fails after its retries, and on the way the client
        // has asked the standby for its role and was told "standby".
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => commands.GetAsync("before"));
        await Set.Standby.PromoteAsync();

        // Not only after Npgsql's host recheck interval (10 s): the failure makes the store forget
        // the roles it cached, and its retry finds the new primary.
        Assert.True(await commands.TryCreateAsync(Command("after")));
        Assert.NotNull(await commands.GetAsync("before"));
    }

    [Fact]
    public async Task Without_retries_the_first_call_after_the_promotion_reaches_the_promoted_standby()
    {
        await using var dataSources = new PostgresDataSources(
            new PostgresStoreOptions { ConnectionString = Set.MultiHostConnectionString, Schema = Schema, MaxRetryAttempts = 0 }, TimeProvider.System);
        await new PostgresMigrator(dataSources, TimeProvider.System).MigrateAsync();
        var commands = new PostgresCommandStore(dataSources);
        Assert.True(await commands.TryCreateAsync(Command("before")));

        await Set.Primary.CrashAsync();
        // Surfaced at once (no retries configured): the first call finds its pooled connection
        // dead, the second finds the standby still a standby.
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => commands.GetAsync("before"));
        var noPrimary = await Assert.ThrowsAnyAsync<NpgsqlException>(() => commands.GetAsync("before"));
        Assert.Contains("suitable host", noPrimary.Message, StringComparison.Ordinal);
        await Set.Standby.PromoteAsync();

        // The failed open made the store forget the roles even though it did not retry.
        Assert.NotNull(await commands.GetAsync("before"));
    }

    // About one in twenty command writes aborts as a serialization failure would: the store must
    // retry it (it certainly applied nothing) or surface it after its bounded retries, never
    // turn it into a false. random() runs on whichever server is the primary.
    private async Task InjectSerializationFailuresAsync()
    {
        await using var connection = new NpgsqlConnection(Set.Primary.ConnectionString(PostgresReplicaSet.DatabaseName));
        await connection.ExecuteAsync($$"""
            CREATE FUNCTION {{Schema}}.fail_some_writes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF random() < 0.05 THEN
                    RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER fail_some_writes BEFORE INSERT OR UPDATE ON {{Schema}}.commands
                FOR EACH ROW EXECUTE FUNCTION {{Schema}}.fail_some_writes();
            """);
    }

    private static string Describe<TKey>(Dictionary<TKey, int> counts) where TKey : notnull =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"));

    private async Task<FailoverFinalState> ReadFinalStateAsync()
    {
        await using var connection = new NpgsqlConnection(Set.Standby.ConnectionString(PostgresReplicaSet.DatabaseName));
        var commands = (await connection.QueryAsync<(string Id, string State, long? FencingToken)>(
                $"SELECT id, state, fencing_token FROM {Schema}.commands"))
            .ToDictionary(r => r.Id, r => (r.State, r.FencingToken));
        var generations = (await connection.QueryAsync<(string ServerId, long Generation)>(
                $"SELECT server_id, generation FROM {Schema}.agent_credentials"))
            .ToDictionary(r => r.ServerId, r => r.Generation);
        var claims = (await connection.QueryAsync<(string Subject, string Owner, bool Completed)>(
                $"SELECT subject, owner, completed_at IS NOT NULL FROM {Schema}.notification_claims"))
            .ToDictionary(r => r.Subject, r => (r.Owner, r.Completed));
        return new FailoverFinalState(commands, generations, claims);
    }

    /// <summary>
    /// Lanes that each run command lifecycles one after another: three duplicate creates of one
    /// request id at once, two racing starts (each with its own fencing token), two racing
    /// finishes, two racing claims of its announcement and a generation bump of one of three
    /// agents shared by all lanes.
    /// </summary>
    private sealed class Workload(PostgresCommandStore commands, PostgresAgentCredentialStore credentials, PostgresNotificationLedger ledger)
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _next;
        private int _completed;

        public FailoverHistory History { get; } = new();

        public int CompletedCount => Volatile.Read(ref _completed);

        public void Stop() => _stop.Cancel();

        /// <summary>
        /// Three writes that are certainly in flight when the primary dies: a transition and a
        /// generation bump (must run once) and a claim completion (idempotent), each blocked on a
        /// row lock that a transaction on <paramref name="primary"/> holds until the crash.
        /// </summary>
        public async Task<(Task<FailoverEntry[]> Calls, NpgsqlConnection Locker)> HoldWritesAsync(PostgresNode primary)
        {
            const string id = "held";
            var key = new NotificationKey(id, "slack:ops", "completed");
            var now = TimeProvider.System.GetUtcNow();
            await History.RecordAsync(FailoverOp.Create, id, "copy-0", () => commands.TryCreateAsync(Command(id)));
            await History.RecordAsync(FailoverOp.Enroll, "agent-held", id, () => credentials.EnrollAsync("agent-held", "hash-held-1", now));
            await History.RecordAsync(FailoverOp.Claim, id, "notifier-1", () => ledger.TryClaimAsync(key, "notifier-1", now, TimeSpan.FromHours(1)));

            var locker = new NpgsqlConnection(primary.ConnectionString(PostgresReplicaSet.DatabaseName));
            await locker.OpenAsync();
            await locker.ExecuteAsync($"""
                BEGIN;
                SELECT 1 FROM {Schema}.commands WHERE id = '{id}' FOR UPDATE;
                SELECT 1 FROM {Schema}.agent_credentials WHERE server_id = 'agent-held' FOR UPDATE;
                SELECT 1 FROM {Schema}.notification_claims WHERE subject = '{id}' FOR UPDATE;
                """);
            var calls = Task.WhenAll(
                History.RecordAsync(FailoverOp.Start, id, "1", () => commands.TryTransitionAsync(
                    id, [CommandState.Queued], CommandState.Running, new CommandUpdate { FencingToken = 1, StartedAt = T0 })),
                History.RecordAsync(FailoverOp.Enroll, "agent-held", id, () => credentials.EnrollAsync("agent-held", "hash-held-2", now)),
                History.RecordAsync(FailoverOp.Complete, id, "notifier-1", () => ledger.CompleteAsync(key, "notifier-1", now)));

            // Polling the server: a lock wait has no event to wait on. Bounded, short.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (await locker.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))") < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), deadline.Token);
            }

            return (calls, locker);
        }

        public Task Completed(int count)
        {
            lock (_waiters)
            {
                if (_completed >= count)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task;
            }
        }

        public async Task RunLaneAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                if (!await RunLifecycleAsync(Interlocked.Increment(ref _next)))
                {
                    continue;
                }

                lock (_waiters)
                {
                    _completed++;
                    foreach (var waiter in _waiters.Where(w => w.Count <= _completed))
                    {
                        waiter.Reached.TrySetResult();
                    }
                }
            }
        }

        /// <returns>Whether a create of it was acknowledged (lifecycles during the outage fail throughout).</returns>
        private async Task<bool> RunLifecycleAsync(int n)
        {
            var id = $"req-{n:D5}";
            var command = Command(id, serverId: $"web-{n % 5}");
            var creates = await Task.WhenAll(Enumerable.Range(0, 3).Select(copy =>
                History.RecordAsync(FailoverOp.Create, id, $"copy-{copy}", () => commands.TryCreateAsync(command))));

            await Task.WhenAll(Enumerable.Range(1, 2).Select(starter =>
            {
                var token = (n * 10L) + starter;
                return History.RecordAsync(FailoverOp.Start, id, token.ToString(CultureInfo.InvariantCulture), () => commands.TryTransitionAsync(
                    id, [CommandState.Queued], CommandState.Running, new CommandUpdate { FencingToken = token, StartedAt = T0 }));
            }));

            await Task.WhenAll(Enumerable.Range(1, 2).Select(finisher =>
                History.RecordAsync(FailoverOp.Finish, id, $"finisher-{finisher}", () => commands.TryTransitionAsync(
                    id, [CommandState.Running], CommandState.Succeeded, new CommandUpdate { ExitCode = 0, FinishedAt = T0.AddSeconds(1) }))));

            var key = new NotificationKey(id, "slack:ops", "completed");
            var claims = await Task.WhenAll(Enumerable.Range(1, 2).Select(notifier => History.RecordAsync(
                FailoverOp.Claim, id, $"notifier-{notifier}", () => ledger.TryClaimAsync(key, $"notifier-{notifier}", TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(1)))));
            foreach (var claim in claims.Where(c => c.Returned(ClaimOutcome.Claimed)))
            {
                await History.RecordAsync(FailoverOp.Complete, id, claim.Actor, () => ledger.CompleteAsync(key, claim.Actor, TimeProvider.System.GetUtcNow()));
            }

            var agent = $"agent-{n % 3}";
            await History.RecordAsync(FailoverOp.Enroll, agent, id, () => credentials.EnrollAsync(agent, $"hash-{id}", TimeProvider.System.GetUtcNow()));
            return creates.Any(c => c.Returned(true));
        }
    }
}
