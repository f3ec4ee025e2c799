using ChatOps.Core.Ports;

namespace ChatOps.Embedded.Sqlite.Internal;

/// <summary>
/// Token hashes the store found valid a moment ago, so an agent reconnecting (or a fleet reconnecting at
/// once) does not read the same row again. Only positive answers are kept, at most one per server, and
/// every enrolment or revocation through this process drops the server's entry at once.
/// </summary>
/// <remarks>
/// A lookup that raced with an enrolment or revocation must not put what it read before that change back
/// into the cache: <see cref="Epoch"/> is taken before the read, bumped after every change commits, and an
/// answer is only kept when the epoch did not move meanwhile.
/// </remarks>
internal sealed class VerifiedAgentTokens(TimeProvider time, TimeSpan lifetime)
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Entry> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _hashByServer = new(StringComparer.Ordinal);
    private long _epoch;
    private int _lastSweepSize;

    public long Epoch => Interlocked.Read(ref _epoch);

    public bool TryGet(string tokenHash, out AgentCredential? credential)
    {
        lock (_sync)
        {
            if (_byHash.TryGetValue(tokenHash, out var entry) && entry.ExpiresAt > time.GetUtcNow())
            {
                credential = entry.Credential;
                return true;
            }
        }

        credential = null;
        return false;
    }

    /// <summary>Keeps <paramref name="found"/> unless a change happened since <paramref name="epochBeforeRead"/>.</summary>
    public void Keep(IEnumerable<(string TokenHash, AgentCredential Credential)> found, long epochBeforeRead)
    {
        lock (_sync)
        {
            if (Epoch != epochBeforeRead) return;
            var now = time.GetUtcNow();
            foreach (var (hash, credential) in found)
            {
                Forget(credential.ServerId);
                _byHash[hash] = new Entry(credential, now + lifetime);
                _hashByServer[credential.ServerId] = hash;
            }

            // Entries of servers nobody connects any more would stay forever otherwise.
            if (_byHash.Count > 1024 && _byHash.Count > 2 * _lastSweepSize) Sweep(now);
        }
    }

    /// <summary>The server's token changed (enrolled again, or revoked): its cached answer goes now.</summary>
    public void Invalidate(string serverId)
    {
        lock (_sync)
        {
            Interlocked.Increment(ref _epoch);
            Forget(serverId);
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (hash, entry) in _byHash.ToList())
        {
            if (entry.ExpiresAt <= now) Forget(entry.Credential.ServerId);
            else if (!_hashByServer.ContainsKey(entry.Credential.ServerId)) _byHash.Remove(hash);
        }

        _lastSweepSize = _byHash.Count;
    }

    private void Forget(string serverId)
    {
        if (_hashByServer.Remove(serverId, out var hash)) _byHash.Remove(hash);
    }

    private readonly record struct Entry(AgentCredential Credential, DateTimeOffset ExpiresAt);
}
