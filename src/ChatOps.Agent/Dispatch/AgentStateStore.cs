using System.Text.Json;
using ChatOps.Core.Events;

namespace ChatOps.Agent.Dispatch;

/// <summary>
/// What the agent must not forget across restarts: the command ids it has started (so a replayed
/// or redelivered dispatch never runs twice) and the highest fencing token it has honoured.
/// Each command is appended to a journal (<c>{path}.journal</c>, one line, flushed to disk) before it
/// starts; when the journal holds as many lines as the capacity, the whole state is written to the
/// snapshot (<c>{path}</c>, temp file + rename) and the journal starts again.
/// </summary>
/// <remarks>
/// Rewriting the whole snapshot for every command cost a serialisation of up to 10,000 ids and an
/// fsync of up to 150 KB before each start: most of a fast command's round trip. A journal line is one
/// small write and one flush. A line cut short by a crash has no newline: its command never started
/// (<see cref="Record"/> had not returned), so it is ignored.
/// </remarks>
internal sealed class AgentStateStore : IDisposable
{
    public const int DefaultCapacity = 10_000;
    private const long MaxFileBytes = 16 * 1024 * 1024;

    private readonly string _path;
    private readonly string _journalPath;
    private readonly int _capacity;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private FileStream? _journal;
    private int _journalLines;

    private AgentStateStore(string path, int capacity)
    {
        _path = path;
        _journalPath = path + ".journal";
        _capacity = capacity;
    }

    public long HighestFencingToken { get; private set; } = long.MinValue;

    public int RememberedCommands => _seen.Count;

    /// <summary>Reads the state file, or starts empty when there is none; a damaged file is an error, never a reset.</summary>
    public static AgentStateStore Open(string path, int capacity = DefaultCapacity)
    {
        var store = OpenSnapshot(path, capacity);
        store.ReplayJournal();
        return store;
    }

    private static AgentStateStore OpenSnapshot(string path, int capacity)
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

    // The snapshot first, then every complete journal line after it, in order.
    private void ReplayJournal()
    {
        if (!File.Exists(_journalPath)) return;
        string text;
        try
        {
            if (new FileInfo(_journalPath).Length > MaxFileBytes)
                throw new AgentStateException($"{_journalPath} is larger than {MaxFileBytes} bytes; it is not an agent state journal");
            text = File.ReadAllText(_journalPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentStateException($"{_journalPath} cannot be read ({e.Message.ReplaceLineEndings(" ")}); move it aside only if you accept that old commands could run again");
        }

        var complete = text.LastIndexOf('\n') + 1;
        foreach (var line in text[..complete].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || !long.TryParse(parts[1], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var fence))
                throw new AgentStateException($"{_journalPath} has a damaged line; move it aside only if you accept that old commands could run again");
            Remember(parts[0]);
            HighestFencingToken = Math.Max(HighestFencingToken, fence);
            _journalLines++;
        }
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
            if (_journalLines >= _capacity) Compact();
            Append(commandId, fencingToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Forget(commandId, evicted);
            HighestFencingToken = previousFence;
            throw new IOException($"cannot save agent state to {_path}: {e.Message}", e);
        }
    }

    private void Append(string commandId, long fencingToken)
    {
        if (commandId.Contains(' ') || commandId.Contains('\n')) throw new IOException($"command id {commandId} cannot be journaled");
        _journal ??= new FileStream(_journalPath, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _journal.Write(System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{commandId} {fencingToken}\n")));
        _journal.Flush(flushToDisk: true);
        _journalLines++;
    }

    // The state so far (the command being recorded included) into the snapshot; then an empty journal.
    // A crash between the two replays lines the snapshot already holds, which changes nothing.
    private void Compact()
    {
        Save();
        _journal?.Dispose();
        _journal = new FileStream(_journalPath, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        _journal.Flush(flushToDisk: true);
        _journalLines = 0;
    }

    public void Dispose() => _journal?.Dispose();

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
