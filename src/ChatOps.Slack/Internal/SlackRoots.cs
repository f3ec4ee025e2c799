using ChatOps.Core.Domain;
using ChatOps.Core.Ports;

namespace ChatOps.Slack.Internal;

/// <summary>
/// What each thread's root message currently shows: the request, and the latest view of each
/// command it fanned out to. Kept so an update renders the whole request, never regresses a
/// finished command (a late "running" after "succeeded"), and so the root can be rebuilt from the
/// <see cref="ChatRef"/> alone when this process did not post it.
/// </summary>
internal sealed class SlackRoots(TimeProvider time)
{
    public const string TeamKey = "team";
    public const string UserKey = "user";
    public const string RootKey = "root";
    public const string RequestKey = "request";

    private readonly ExpiringCache<RootState> _roots = new(time, TimeSpan.FromDays(1), 10_000);

    public void Register(string channel, string rootTs, RootRequest request) =>
        _roots.Set(Key(channel, rootTs), new RootState(request));

    /// <summary>Records <paramref name="view"/> and returns the render of the whole root.</summary>
    public SlackMessage Apply(ChatRef thread, string rootTs, CommandView view)
    {
        var state = _roots.GetOrAdd(Key(thread.Channel, rootTs), () => new RootState(new RootRequest(
            thread.Get(RequestKey) ?? view.CommandId, thread.Get(UserKey), view.RequestedBy, view.CommandText, view.ServerId, SingleServer: true)), out _);
        lock (state)
        {
            if (!(state.Views.TryGetValue(view.CommandId, out var known) && known.State.IsTerminal() && !view.State.IsTerminal()))
                state.Views[view.CommandId] = Merge(known, view);

            // A fan-out awaits approval under its request id (the approval's id); once its commands
            // report for themselves, that stand-in has said what it had to say.
            var requestId = state.Request.RequestId;
            if (view.CommandId != requestId && view.CommandId.StartsWith(requestId + "-", StringComparison.Ordinal)
                && state.Views.TryGetValue(requestId, out var standIn) && standIn.State == CommandState.AwaitingApproval)
                state.Views.Remove(requestId);
            state.Version++;
            return Render(state);
        }
    }

    /// <summary>The current render, for an update that is sent later than it was asked for.</summary>
    public SlackMessage Current(string channel, string rootTs, SlackMessage fallback)
    {
        if (!_roots.TryGet(Key(channel, rootTs), out var state)) return fallback;
        lock (state) return Render(state);
    }

    private static SlackMessage Render(RootState state)
    {
        var views = state.Views.Values.ToList();
        // The command text in a view comes from the store; when it is not there yet, the request has it.
        var request = views.FirstOrDefault(v => v.CommandText.Length > 0) is { } withText && state.Request.CommandText.Length == 0
            ? state.Request with { CommandText = withText.CommandText }
            : state.Request;
        return SlackBlocks.Root(request, views, state.Version);
    }

    // A view from a later event lacks what an earlier one knew only when the store lagged; keep the known parts.
    private static CommandView Merge(CommandView? known, CommandView view) =>
        known is null
            ? view
            : view with
            {
                ServerId = view.ServerId == "?" ? known.ServerId : view.ServerId,
                CommandText = view.CommandText.Length == 0 ? known.CommandText : view.CommandText,
                ExitCode = view.ExitCode ?? known.ExitCode,
                Duration = view.Duration ?? known.Duration,
            };

    private static string Key(string channel, string ts) => channel + "|" + ts;

    private sealed class RootState(RootRequest request)
    {
        public RootRequest Request { get; } = request;
        public Dictionary<string, CommandView> Views { get; } = new(StringComparer.Ordinal);
        public int Version { get; set; }
    }
}
