using ChatOps.Tests.Shared;
using ChatOps.Teams.Internal;

namespace ChatOps.Teams.Tests.Support;

/// <summary>
/// What a test running Teams traffic in virtual time needs to know before it moves the clock: how many
/// calls are on the wire, and how many senders were woken by the clock but have not reached the wire yet.
/// A sender's wait (<see cref="Pause"/>) and its next call run on one thread without a yield in between,
/// so a thread-static flag ties the two together.
/// </summary>
internal sealed class VirtualTimeWire(ManualClock clock) : Pause(clock)
{
    [ThreadStatic]
    private static bool _wokenHere;

    private int _inFlight;
    private int _woken;

    public ManualClock Clock { get; } = clock;

    /// <summary>True while nothing runs that the clock must wait for.</summary>
    public bool Quiet => Volatile.Read(ref _inFlight) == 0 && Volatile.Read(ref _woken) == 0;

    public override async Task ForAsync(TimeSpan delay, PauseReason reason, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero) return;
        // Woken for one wait and now parked on another (the app-wide slot after the conversation's pace).
        if (_wokenHere)
        {
            _wokenHere = false;
            Interlocked.Decrement(ref _woken);
        }

        await Task.Delay(delay, Clock, cancellationToken);
        Interlocked.Increment(ref _woken);
        _wokenHere = true;
    }

    /// <summary>The handler to put under the adapter's HttpClient.</summary>
    public DelegatingHandler Handler() => new CountingHandler(this) { InnerHandler = new SocketsHttpHandler() };

    private sealed class CountingHandler(VirtualTimeWire wire) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref wire._inFlight);
            if (_wokenHere)
            {
                _wokenHere = false;
                Interlocked.Decrement(ref wire._woken);
            }

            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                // Buffered here, so the call is off the wire before the counter drops.
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                return response;
            }
            finally
            {
                Interlocked.Decrement(ref wire._inFlight);
                wire.Clock.Pulse();
            }
        }
    }
}
