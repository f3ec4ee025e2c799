using ChatOps.Agent.Allowlist;
using ChatOps.Core.Agents;
using Microsoft.Extensions.Logging;

namespace ChatOps.Agent.Dispatch;

/// <summary>
/// Decides, before anything runs, whether a dispatch may run here: the agent's own allowlist and
/// argument schema, the fencing token (Kleppmann: the executor must check it), at-most-once by
/// command id, freshness, and the concurrency limit. The server is trusted, but not blindly.
/// </summary>
internal sealed class DispatchGuard
{
    private readonly AgentAllowlist _allowlist;
    private readonly AgentStateStore _state;
    private readonly int _maxConcurrent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private int _running;

    public DispatchGuard(AgentAllowlist allowlist, AgentStateStore state, int maxConcurrent, TimeProvider time, ILogger logger)
    {
        _allowlist = allowlist;
        _state = state;
        _maxConcurrent = maxConcurrent;
        _time = time;
        _logger = logger;
    }

    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Admits or refuses a dispatch. An admitted command is recorded as seen (and saved) before this
    /// returns, and holds a concurrency slot until its <see cref="DispatchDecision.Slot"/> is disposed.
    /// </summary>
    public DispatchDecision Admit(DispatchFrame dispatch)
    {
        if (!_allowlist.TryGet(dispatch.Action, out var action))
        {
            _logger.LogWarning("refused action {Action}: not in allowlist (command {CommandId})", LogText.Quote(dispatch.Action), LogText.Quote(dispatch.CommandId));
            return DispatchDecision.Reject(RejectReasons.NotAllowed, $"action '{LogText.Quote(dispatch.Action)}' is not in this agent's allowlist");
        }

        var bound = action.Bind(dispatch.Args, dispatch.Positional);
        if (bound.Error is not null)
        {
            return Refuse(dispatch, RejectReasons.BadArguments, bound.Error);
        }

        lock (_gate)
        {
            if (dispatch.FencingToken < _state.HighestFencingToken)
            {
                return Refuse(dispatch, RejectReasons.StaleFencingToken,
                    $"fencing token {dispatch.FencingToken} is older than {_state.HighestFencingToken}, already honoured here");
            }

            if (_state.HasSeen(dispatch.CommandId))
            {
                return Refuse(dispatch, RejectReasons.Duplicate, "this command already ran on this agent");
            }

            if (_time.GetUtcNow() > dispatch.ExpiresAt)
            {
                return Refuse(dispatch, RejectReasons.Expired, $"the dispatch expired at {dispatch.ExpiresAt:O}");
            }

            if (_running >= _maxConcurrent)
            {
                return Refuse(dispatch, RejectReasons.Busy, $"already running {_maxConcurrent} commands");
            }

            try
            {
                _state.Record(dispatch.CommandId, dispatch.FencingToken);
            }
            catch (IOException e)
            {
                // Without the record a restart could run this again; refusing is the safe side.
                _logger.LogError("{Error}", e.Message);
                return Refuse(dispatch, RejectReasons.Busy, "the agent cannot save its state; try again later");
            }

            _running++;
        }

        var timeout = action.TimeoutCap;
        // Compared in milliseconds first: a huge TimeoutMs does not fit a TimeSpan, and throwing here
        // (after the slot was taken) would leak the slot.
        if (dispatch.TimeoutMs > 0 && dispatch.TimeoutMs < timeout.TotalMilliseconds)
        {
            timeout = TimeSpan.FromMilliseconds(dispatch.TimeoutMs);
        }

        _logger.LogInformation("accepted command {CommandId}: action {Action}", LogText.Quote(dispatch.CommandId), action.Name);
        return DispatchDecision.Accept(bound.Command!, timeout, new Slot(this));
    }

    private DispatchDecision Refuse(DispatchFrame dispatch, string reason, string message)
    {
        _logger.LogWarning("refused command {CommandId} (action {Action}): {Reason}: {Message}",
            LogText.Quote(dispatch.CommandId), LogText.Quote(dispatch.Action), reason, message);
        return DispatchDecision.Reject(reason, message);
    }

    private void Release()
    {
        lock (_gate)
        {
            _running--;
        }
    }

    private sealed class Slot(DispatchGuard guard) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                guard.Release();
            }
        }
    }
}

/// <summary>Either a command to run (with its timeout and concurrency slot) or a refusal.</summary>
internal sealed record DispatchDecision(BoundCommand? Command, TimeSpan Timeout, IDisposable? Slot, string? RejectReason, string? Message)
{
    public bool Accepted => Command is not null;

    public static DispatchDecision Accept(BoundCommand command, TimeSpan timeout, IDisposable slot) => new(command, timeout, slot, null, null);

    public static DispatchDecision Reject(string reason, string message) => new(null, TimeSpan.Zero, null, reason, message);
}
