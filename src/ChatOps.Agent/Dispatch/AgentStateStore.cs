using System.Text.Json;
using ChatOps.Core.Events;

namespace ChatOps.Agent.Dispatch;

/// <summary>
/// What the agent must not forget across restarts: the command ids it has started (so a replayed
/// or redelivered dispatch never runs twice) and the highest fencing token it has honoured.
/// Written atomically (temp file + rename) before a command starts.
/// </summary>
internal sealed class AgentStateStore
{
    public const int DefaultCapacity = 10_000;
    private const long MaxFileBytes = 16 * 1024 * 1024;

    private readonly string _path;
    private readonly int _capacity;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    private AgentStateStore(string path, int capacity)
    {
        _path = path;
        _capacity = capacity;
    }

    public long HighestFencingToken { get; private set; } = long.MinValue;

    public int RememberedCommands => _seen.Count;

    /// <summary>Reads the state file, or starts empty when there is none; a damaged file is an error, never a reset.</summary>
    public static AgentStateStore Open(string path, int capacity = DefaultCapacity)
    {
        var store = new AgentStateStore(path, capacity);
        if (!File.Exists(path))
        {
            return store;
        }

        StateFile? file;
        try
        {
            if (new FileInfo(path).Length > MaxFileBytes)
            {
                throw new AgentStateException($"{path} is larger than {MaxFileBytes} bytes; it is not an agent state file");
            }

            file = JsonSerializer.Deserialize<StateFile>(File.ReadAllBytes(path), ChatOpsJson.Options);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new AgentStateException($"{path} cannot be read as agent state ({e.Message.ReplaceLineEndings(" ")}); move it aside only if you accept that old commands could run again");
        }

        if (file is null)
        {
            throw new AgentStateException($"{path} is empty; move it aside only if you accept that old commands could run again");
        }

        store.HighestFencingToken = file.HighestFencingToken;
        foreach (var id in (file.SeenCommandIds ?? []).TakeLast(capacity))
        {
            store.Remember(id);
        }

        return store;
    }

    public bool HasSeen(string commandId) => _seen.Contains(commandId);

    /// <summary>Records a command about to start and saves; on a failed save nothing changes and it throws.</summary>
    public void Record(string commandId, long fencingToken)
    {
        var previousFence = HighestFencingToken;
        var evicted = Remember(commandId);
        HighestFencingToken = Math.Max(HighestFencingToken, fencingToken);
        try
        {
            Save();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Forget(commandId, evicted);
            HighestFencingToken = previousFence;
            throw new IOException($"cannot save agent state to {_path}: {e.Message}", e);
        }
    }

    private string? Remember(string commandId)
    {
        if (!_seen.Add(commandId))
        {
            return null;
        }

        _order.Enqueue(commandId);
        if (_order.Count <= _capacity)
        {
            return null;
        }

        var evicted = _order.Dequeue();
        _seen.Remove(evicted);
        return evicted;
    }

    private void Forget(string commandId, string? evicted)
    {
        _seen.Remove(commandId);
        var kept = _order.Where(id => id != commandId).ToList();
        _order.Clear();
        if (evicted is not null)
        {
            _seen.Add(evicted);
            _order.Enqueue(evicted);
        }

        foreach (var id in kept)
        {
            _order.Enqueue(id);
        }
    }

    private void Save()
    {
        var file = new StateFile { HighestFencingToken = HighestFencingToken, SeenCommandIds = [.. _order] };
        var temporary = $"{_path}.{Environment.ProcessId}.tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, file, ChatOpsJson.Options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private sealed class StateFile
    {
        public int Version { get; set; } = 1;

        public long HighestFencingToken { get; set; }

        public List<string>? SeenCommandIds { get; set; }
    }
}

/// <summary>The state file exists but cannot be trusted.</summary>
internal sealed class AgentStateException(string message) : Exception(message);
