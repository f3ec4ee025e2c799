using System.Globalization;
using System.Text.Json;
using ChatOps.Core.Ports;
using ChatOps.Redis.Internal;
using StackExchange.Redis;

namespace ChatOps.Redis;

/// <summary>
/// <see cref="IAgentRegistry"/> on Redis: <c>agent:connections:{server_id}</c> is a hash
/// (<c>serverId, nodeId, connectionId, since, version, capabilities</c>) with the heartbeat TTL, readable
/// with <c>HGETALL</c>; the sorted set <c>agent:connections</c> indexes the server ids by expiry, so
/// <see cref="ListAsync"/> needs no SCAN. Every gateway node sees the same entries. Refresh and remove
/// are scripts that act only while the entry still names the given connection id.
/// </summary>
public sealed class RedisAgentRegistry(RedisStateConnection connection) : IAgentRegistry
{
    private const string ServerIdField = "serverId";
    private const string NodeIdField = "nodeId";
    private const string ConnectionIdField = "connectionId";
    private const string SinceField = "since";
    private const string VersionField = "version";
    private const string CapabilitiesField = "capabilities";

    private readonly RedisStateConnection _connection = connection ?? throw new ArgumentNullException(nameof(connection));

    public Task RegisterAsync(AgentConnection connection, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(connection.ServerId, nameof(connection));
        ArgumentException.ThrowIfNullOrWhiteSpace(connection.NodeId, nameof(connection));
        ArgumentException.ThrowIfNullOrWhiteSpace(connection.ConnectionId, nameof(connection));
        ArgumentNullException.ThrowIfNull(connection.Capabilities, nameof(connection));
        StateArguments.RequirePositive(ttl);

        List<RedisValue> arguments =
        [
            connection.ServerId,
            StateArguments.Milliseconds(ttl),
            ServerIdField, connection.ServerId,
            NodeIdField, connection.NodeId,
            ConnectionIdField, connection.ConnectionId,
            SinceField, connection.Since.ToString("O", CultureInfo.InvariantCulture),
            CapabilitiesField, JsonSerializer.Serialize(connection.Capabilities),
        ];
        if (connection.Version is not null)
        {
            arguments.AddRange([VersionField, connection.Version]);
        }

        return _connection.RunAsync(
            db => db.ScriptEvaluateAsync(RegistryScripts.Register, [EntryKey(connection.ServerId), IndexKey], [.. arguments]),
            cancellationToken);
    }

    public async Task<bool> RefreshAsync(string serverId, string connectionId, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);
        StateArguments.RequirePositive(ttl);

        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(
                RegistryScripts.Refresh, [EntryKey(serverId), IndexKey], [serverId, connectionId, StateArguments.Milliseconds(ttl)]),
            cancellationToken);
        return (long)result == 1;
    }

    public async Task<bool> RemoveAsync(string serverId, string connectionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionId);

        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(RegistryScripts.Remove, [EntryKey(serverId), IndexKey], [serverId, connectionId]),
            cancellationToken);
        return (long)result == 1;
    }

    public async Task<AgentConnection?> GetAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serverId);

        var fields = await _connection.RunAsync(db => db.HashGetAllAsync(EntryKey(serverId)), cancellationToken);
        return Parse(serverId, fields);
    }

    /// <summary>Live connections ordered by server id.</summary>
    public async Task<IReadOnlyList<AgentConnection>> ListAsync(CancellationToken cancellationToken = default)
    {
        return await _connection.RunAsync(
            async db =>
            {
                var ids = (RedisValue[])(await db.ScriptEvaluateAsync(RegistryScripts.ListLive, [IndexKey]))!;

                // One round trip for all entries: the batch is pipelined.
                var batch = db.CreateBatch();
                var reads = ids.Select(id => (ServerId: id.ToString(), Fields: batch.HashGetAllAsync(EntryKey(id.ToString())))).ToList();
                batch.Execute();
                await Task.WhenAll(reads.Select(r => r.Fields));

                // An entry can expire between the index read and its own read; it is simply not live.
                IReadOnlyList<AgentConnection> live =
                [
                    .. reads
                        .Select(r => Parse(r.ServerId, r.Fields.Result))
                        .OfType<AgentConnection>()
                        .OrderBy(c => c.ServerId, StringComparer.Ordinal),
                ];
                return live;
            },
            cancellationToken);
    }

    private RedisKey IndexKey => _connection.Key(RedisKeys.AgentIndex);

    private RedisKey EntryKey(string serverId) => _connection.Key(StateKeys.AgentConnection(serverId));

    private static AgentConnection? Parse(string serverId, HashEntry[] fields)
    {
        if (fields.Length == 0)
        {
            return null;
        }

        var values = fields.ToDictionary(f => f.Name.ToString(), f => f.Value, StringComparer.Ordinal);
        string Required(string field) => values.TryGetValue(field, out var value) && !value.IsNullOrEmpty
            ? value.ToString()
            : throw new InvalidDataException($"agent:connections:{serverId} has no {field}");

        return new AgentConnection(
            serverId,
            Required(NodeIdField),
            Required(ConnectionIdField),
            DateTimeOffset.Parse(Required(SinceField), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            values.TryGetValue(VersionField, out var version) ? version.ToString() : null,
            JsonSerializer.Deserialize<List<string>>(Required(CapabilitiesField)) ?? []);
    }
}
