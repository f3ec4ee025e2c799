using ChatOps.Core.Approvals;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Sqlite.Internal;
using Dapper;

namespace ChatOps.Embedded.Sqlite;

public sealed class SqliteApprovalStore(SqliteConnectionFactory connections) : IApprovalStore
{
    private const string Columns = """
        id AS Id, request_id AS RequestId, command_name AS CommandName, target AS Target, action AS Action,
        servers AS Servers, fingerprint AS Fingerprint, text AS Text, requester_user_id AS RequesterUserId,
        requester_identity AS RequesterIdentity, requester_display_name AS RequesterDisplayName, reply_to AS ReplyTo,
        state AS State, requested_at AS RequestedAt, expires_at AS ExpiresAt, decided_by_user_id AS DecidedByUserId,
        decided_by_name AS DecidedByName, decided_at AS DecidedAt, reason AS Reason
        """;

    public Task<bool> TryCreateAsync(ApprovalRequest approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentException.ThrowIfNullOrWhiteSpace(approval.Id, nameof(approval));
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approvals (id, request_id, command_name, target, action, servers, fingerprint, text,
                requester_user_id, requester_identity, requester_display_name, reply_to, state, requested_at, expires_at,
                decided_by_user_id, decided_by_name, decided_at, reason)
            VALUES (@Id, @RequestId, @CommandName, @Target, @Action, @Servers, @Fingerprint, @Text,
                @RequesterUserId, @RequesterIdentity, @RequesterDisplayName, @ReplyTo, @State, @RequestedAt, @ExpiresAt,
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
                Servers = SqliteJson.FromList(approval.Servers),
                approval.Fingerprint,
                approval.Text,
                RequesterUserId = approval.Requester.UserId,
                RequesterIdentity = approval.Requester.Identity,
                RequesterDisplayName = approval.Requester.DisplayName,
                ReplyTo = SqliteJson.FromChatRef(approval.ReplyTo),
                State = ApprovalStateNames.Of(approval.State),
                RequestedAt = SqliteTime.ToText(approval.RequestedAt),
                ExpiresAt = SqliteTime.ToText(approval.ExpiresAt),
                approval.DecidedByUserId,
                approval.DecidedByName,
                DecidedAt = SqliteTime.ToText(approval.DecidedAt),
                approval.Reason,
            },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return connections.ReadAsync(async connection =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM approvals WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            return row?.ToApproval();
        }, cancellationToken);
    }

    public Task<bool> TryDecideAsync(string id, ApprovalState decision, string? decidedByUserId, string? decidedByName, string? reason, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (decision == ApprovalState.Pending) throw new ArgumentException("a decision cannot be 'pending'", nameof(decision));
        return connections.WriteAsync(async (connection, transaction) => await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE approvals SET state = @state, decided_by_user_id = @decidedByUserId, decided_by_name = @decidedByName,
                decided_at = @at, reason = @reason
            WHERE id = @id AND state = 'pending'
            """,
            new { id, state = ApprovalStateNames.Of(decision), decidedByUserId, decidedByName, reason, at = SqliteTime.ToText(at) },
            transaction,
            cancellationToken: cancellationToken)) == 1, cancellationToken);
    }

    public Task<IReadOnlyList<ApprovalRequest>> ListExpiredAsync(DateTimeOffset now, int limit = 100, CancellationToken cancellationToken = default) =>
        QueryAsync($"SELECT {Columns} FROM approvals WHERE state = 'pending' AND expires_at <= @now ORDER BY expires_at LIMIT @limit",
            new { now = SqliteTime.ToText(now), limit }, cancellationToken);

    public Task<IReadOnlyList<ApprovalRequest>> ListAsync(ApprovalState? state = null, int limit = 100, CancellationToken cancellationToken = default) =>
        state is { } wanted
            ? QueryAsync($"SELECT {Columns} FROM approvals WHERE state = @state ORDER BY requested_at DESC, id DESC LIMIT @limit",
                new { state = ApprovalStateNames.Of(wanted), limit }, cancellationToken)
            : QueryAsync($"SELECT {Columns} FROM approvals ORDER BY requested_at DESC, id DESC LIMIT @limit", new { limit }, cancellationToken);

    private Task<IReadOnlyList<ApprovalRequest>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken) =>
        connections.ReadAsync<IReadOnlyList<ApprovalRequest>>(async connection =>
            (await connection.QueryAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).Select(r => r.ToApproval()).ToList(),
            cancellationToken);

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
        public string RequestedAt { get; init; } = "";
        public string ExpiresAt { get; init; } = "";
        public string? DecidedByUserId { get; init; }
        public string? DecidedByName { get; init; }
        public string? DecidedAt { get; init; }
        public string? Reason { get; init; }

        public ApprovalRequest ToApproval() => new()
        {
            Id = Id,
            RequestId = RequestId,
            CommandName = CommandName,
            Target = Target,
            Action = Action,
            Servers = SqliteJson.ToList(Servers, "approvals.servers"),
            Fingerprint = Fingerprint,
            Text = Text,
            Requester = new Requester(RequesterUserId, RequesterIdentity, RequesterDisplayName),
            ReplyTo = SqliteJson.ToChatRef(ReplyTo, "approvals.reply_to"),
            State = ApprovalStateNames.TryParse(State, out var state) ? state : throw new InvalidDataException($"approvals.state holds '{State}'"),
            RequestedAt = SqliteTime.FromText(RequestedAt),
            ExpiresAt = SqliteTime.FromText(ExpiresAt),
            DecidedByUserId = DecidedByUserId,
            DecidedByName = DecidedByName,
            DecidedAt = SqliteTime.FromNullableText(DecidedAt),
            Reason = Reason,
        };
    }
}
