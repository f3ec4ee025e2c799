using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Postgres.Internal;
using Dapper;

namespace ChatOps.Postgres;

/// <summary>
/// Approvals keyed by request id. Creation is <c>INSERT ... ON CONFLICT DO NOTHING</c> and a decision
/// an <c>UPDATE ... WHERE state = 'pending'</c>, so of two racing decisions (on any replicas) exactly one wins.
/// </summary>
public sealed class PostgresApprovalStore(PostgresDataSources dataSources) : IApprovalStore
{
    private const string Columns = """
        id AS Id, request_id AS RequestId, command_name AS CommandName, target AS Target, action AS Action,
        servers::text AS Servers, fingerprint AS Fingerprint, text AS Text, requester_user_id AS RequesterUserId,
        requester_identity AS RequesterIdentity, requester_display_name AS RequesterDisplayName, reply_to::text AS ReplyTo,
        state AS State, requested_at AS RequestedAt, expires_at AS ExpiresAt, decided_by_user_id AS DecidedByUserId,
        decided_by_name AS DecidedByName, decided_at AS DecidedAt, reason AS Reason
        """;

    public Task<bool> TryCreateAsync(ApprovalRequest approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentException.ThrowIfNullOrWhiteSpace(approval.Id, nameof(approval));
        ArgumentNullException.ThrowIfNull(approval.Servers, nameof(approval));
        ArgumentNullException.ThrowIfNull(approval.Requester, nameof(approval));
        ArgumentNullException.ThrowIfNull(approval.ReplyTo, nameof(approval));

        // Not repeated after a lost connection: a retry would find its own row and answer "exists".
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approvals (id, request_id, command_name, target, action, servers, fingerprint, text,
                requester_user_id, requester_identity, requester_display_name, reply_to, state, requested_at, expires_at,
                decided_by_user_id, decided_by_name, decided_at, reason)
            VALUES (@Id, @RequestId, @CommandName, @Target, @Action, @Servers::jsonb, @Fingerprint, @Text,
                @RequesterUserId, @RequesterIdentity, @RequesterDisplayName, @ReplyTo::jsonb, @State, @RequestedAt, @ExpiresAt,
                @DecidedByUserId, @DecidedByName, @DecidedAt, @Reason)
            ON CONFLICT (id) DO NOTHING
            """,
            new
            {
                approval.Id,
                approval.RequestId,
                approval.CommandName,
                approval.Target,
                approval.Action,
                Servers = PostgresJson.FromList(approval.Servers),
                approval.Fingerprint,
                Text = PostgresText.WithoutNul(approval.Text),
                RequesterUserId = approval.Requester.UserId,
                RequesterIdentity = approval.Requester.Identity,
                RequesterDisplayName = PostgresText.WithoutNul(approval.Requester.DisplayName),
                ReplyTo = PostgresJson.FromChatRef(approval.ReplyTo),
                State = ApprovalStateNames.Of(approval.State),
                RequestedAt = PostgresTime.ToDb(approval.RequestedAt),
                ExpiresAt = PostgresTime.ToDb(approval.ExpiresAt),
                approval.DecidedByUserId,
                DecidedByName = WithoutNul(approval.DecidedByName),
                DecidedAt = PostgresTime.ToDb(approval.DecidedAt),
                Reason = WithoutNul(approval.Reason),
            },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return dataSources.RunAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM approvals WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToApproval();
        }, RetryPolicy.Idempotent, cancellationToken);
    }

    public Task<bool> TryDecideAsync(string id, ApprovalState decision, string? decidedByUserId, string? decidedByName, string? reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (decision == ApprovalState.Pending)
        {
            throw new ArgumentException("a decision cannot be 'pending'", nameof(decision));
        }

        if (!Enum.IsDefined(decision))
        {
            throw new ArgumentOutOfRangeException(nameof(decision), decision, "not an approval state");
        }

        // Not repeated after a lost connection: a retry would lose to its own decision and answer false.
        return dataSources.RunAsync(async connection => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE approvals SET state = @state, decided_by_user_id = @decidedByUserId, decided_by_name = @decidedByName,
                decided_at = @at, reason = @reason
            WHERE id = @id AND state = 'pending'
            """,
            new
            {
                id,
                state = ApprovalStateNames.Of(decision),
                decidedByUserId,
                decidedByName = WithoutNul(decidedByName),
                reason = WithoutNul(reason),
                at = PostgresTime.ToDb(at),
            },
            cancellationToken: cancellationToken)) == 1, RetryPolicy.OnlyWhenNothingApplied, cancellationToken);
    }

    public Task<IReadOnlyList<ApprovalRequest>> ListExpiredAsync(DateTimeOffset now, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryAsync($"SELECT {Columns} FROM approvals WHERE state = 'pending' AND expires_at <= @now ORDER BY expires_at, id LIMIT @limit",
            new { now = PostgresTime.ToDb(now), limit }, cancellationToken);
    }

    public Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalState? state = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return state is { } wanted
            ? QueryAsync($"SELECT {Columns} FROM approvals WHERE state = @state ORDER BY requested_at DESC, id DESC LIMIT @limit",
                new { state = ApprovalStateNames.Of(wanted), limit }, cancellationToken)
            : QueryAsync($"SELECT {Columns} FROM approvals ORDER BY requested_at DESC, id DESC LIMIT @limit", new { limit }, cancellationToken);
    }

    private static string? WithoutNul(string? text) => text is null ? null : PostgresText.WithoutNul(text);

    // From the primary: the expiry sweep and the admin page act on what they read.
    private Task<IReadOnlyList<ApprovalRequest>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        dataSources.RunAsync<IReadOnlyList<ApprovalRequest>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).Select(r => r.ToApproval()).ToList(),
            RetryPolicy.Idempotent, cancellationToken);

    private sealed class Row
    {
        public string Id { get; init; } = "";
        public string RequestId { get; init; } = "";
        public string CommandName { get; init; } = "";
        public string Target { get; init; } = "";
        public string? Action { get; init; }
        public string Servers { get; init; } = "[]";
        public string Fingerprint { get; init; } = "";
        public string Text { get; init; } = "";
        public string RequesterUserId { get; init; } = "";
        public string RequesterIdentity { get; init; } = "";
        public string RequesterDisplayName { get; init; } = "";
        public string ReplyTo { get; init; } = "";
        public string State { get; init; } = "";
        public DateTime RequestedAt { get; init; }
        public DateTime ExpiresAt { get; init; }
        public string? DecidedByUserId { get; init; }
        public string? DecidedByName { get; init; }
        public DateTime? DecidedAt { get; init; }
        public string? Reason { get; init; }

        public ApprovalRequest ToApproval() => new()
        {
            Id = Id,
            RequestId = RequestId,
            CommandName = CommandName,
            Target = Target,
            Action = Action,
            Servers = PostgresJson.ToList(Servers, "approvals.servers"),
            Fingerprint = Fingerprint,
            Text = Text,
            Requester = new Requester(RequesterUserId, RequesterIdentity, RequesterDisplayName),
            ReplyTo = PostgresJson.ToChatRef(ReplyTo, "approvals.reply_to"),
            State = ApprovalStateNames.TryParse(State, out var state) ? state : throw new InvalidDataException($"approvals.state holds '{State}'"),
            RequestedAt = PostgresTime.FromDb(RequestedAt),
            ExpiresAt = PostgresTime.FromDb(ExpiresAt),
            DecidedByUserId = DecidedByUserId,
            DecidedByName = DecidedByName,
            DecidedAt = PostgresTime.FromDb(DecidedAt),
            Reason = Reason,
        };
    }
}
