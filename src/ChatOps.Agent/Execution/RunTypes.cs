namespace ChatOps.Agent.Execution;

/// <summary>Limits for running actions.</summary>
internal sealed record ActionRunnerOptions
{
    public const long DefaultMaxOutputBytes = 1024 * 1024;

    /// <summary>Output bytes sent per command; the rest is read and dropped.</summary>
    public long MaxOutputBytes { get; init; } = DefaultMaxOutputBytes;

    /// <summary>Where commands start; null means the root folder.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Raw bytes per output chunk. 8 KiB decodes to at most 8 Ki chars, ~48 KiB escaped: far below a frame.</summary>
    public int ChunkBytes { get; init; } = 8 * 1024;

    /// <summary>How long a partial chunk may wait for more output before it is sent.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long to keep reading after the process is gone, in case an escaped child holds the pipe.</summary>
    public TimeSpan DrainGrace { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>A piece of output, already decoded; <see cref="Stream"/> is "stdout" or "stderr".</summary>
internal sealed record OutputChunk(string Stream, string Text);

/// <summary>How a command ended. <see cref="Status"/> is one of ResultStatuses.</summary>
internal sealed record RunOutcome(string Status, int? ExitCode, TimeSpan Duration, bool Truncated, long OutputBytes);
