using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ChatOps.Benchmarks;

/// <summary>
/// Wakes an open loop at its due times on a thread of its own, to within a few tens of microseconds.
/// An open loop times each call from when it was due, so a generator that wakes late adds its own
/// lateness to every figure: <c>await Task.Delay</c> (timer thread, then a thread-pool hop, on a VM
/// whose idle vCPU has to be woken) woke 1-6 ms late here, which the bare endpoint showed as a p50 of
/// 1.5 ms and a p99 of 6.4 ms at 100 requests per second with nothing else running. On Linux this
/// blocks in <c>clock_nanosleep</c> until an absolute time on the clock <see cref="Stopwatch"/> reads;
/// elsewhere it waits for a timer to fire (no better than <c>Task.Delay</c>, but portable).
/// </summary>
internal static partial class Pacer
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsTime = 1;
    private const int Interrupted = 4; // EINTR: a signal woke the thread before the time

    // Stopwatch reads CLOCK_MONOTONIC in nanoseconds on Linux; anything else gets the timer.
    private static readonly bool Precise = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    /// <summary>Blocks the calling thread until <see cref="Stopwatch.GetTimestamp"/> reaches <paramref name="timestamp"/>.</summary>
    public static void SleepUntil(long timestamp)
    {
        if (Precise)
        {
            var request = new Timespec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
            // An absolute time, so asking again after a signal still ends at the same instant.
            while (ClockNanosleep(ClockMonotonic, TimerAbsTime, in request, IntPtr.Zero) == Interrupted)
            {
            }

            return;
        }

        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (left <= TimeSpan.Zero) return;
        using var fired = new ManualResetEventSlim();
        using var timer = new Timer(_ => fired.Set(), null, left, Timeout.InfiniteTimeSpan);
        fired.Wait();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // Returns 0, or the error number itself (not -1 and errno).
    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clockId, int flags, in Timespec request, IntPtr remain);
}
