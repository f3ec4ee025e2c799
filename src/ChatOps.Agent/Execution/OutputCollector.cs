using System.Text;
using System.Threading.Channels;

namespace ChatOps.Agent.Execution;

/// <summary>
/// Sits between the two pipe readers and the sink: caps what is kept, batches bytes into chunks by
/// size or age, decodes UTF-8 (invalid bytes become U+FFFD) and keeps stdout/stderr in arrival order.
/// </summary>
internal sealed class OutputCollector
{
    public const string StdoutName = "stdout";
    public const string StderrName = "stderr";

    private readonly ActionRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<OutputChunk, ValueTask> _sink;
    private readonly Channel<Piece> _pieces = Channel.CreateUnbounded<Piece>(new() { SingleReader = true });
    private readonly Lock _accepting = new();
    private readonly Decoder _stdoutDecoder = NewDecoder();
    private readonly Decoder _stderrDecoder = NewDecoder();
    private long _totalBytes;
    private bool _truncated;

    public OutputCollector(ActionRunnerOptions options, TimeProvider time, Func<OutputChunk, ValueTask> sink)
    {
        _options = options;
        _time = time;
        _sink = sink;
    }

    /// <summary>Every byte the command wrote, kept or not.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    public bool Truncated => Volatile.Read(ref _truncated);

    /// <summary>Called by a pipe reader; never blocks, and copies only what stays under the cap.</summary>
    public void Accept(string stream, ReadOnlySpan<byte> data)
    {
        lock (_accepting)
        {
            var start = _totalBytes;
            _totalBytes += data.Length;
            var keep = (int)Math.Clamp(_options.MaxOutputBytes - start, 0, data.Length);
            if (keep > 0)
            {
                _pieces.Writer.TryWrite(new Piece(stream, data[..keep].ToArray()));
            }

            if (keep < data.Length && !_truncated)
            {
                _truncated = true;
                _pieces.Writer.TryWrite(Piece.TruncationMarker);
            }
        }
    }

    /// <summary>No more input: the pipes are closed (or abandoned).</summary>
    public void Complete() => _pieces.Writer.TryComplete();

    /// <summary>Forwards chunks to the sink until <see cref="Complete"/> and everything is sent.</summary>
    public async Task PumpToSinkAsync()
    {
        var pending = new MemoryStream();
        string? pendingStream = null;
        long pendingSince = 0;
        var reader = _pieces.Reader;
        Task<bool>? waiting = null;
        while (true)
        {
            if (reader.TryRead(out var piece))
            {
                if (piece.IsMarker)
                {
                    await FlushAsync(pending, pendingStream, final: false);
                    await _sink(new OutputChunk(StderrName, $"\n[output truncated after {_options.MaxOutputBytes} bytes]\n"));
                    continue;
                }

                if (pendingStream is not null && pendingStream != piece.Stream)
                {
                    await FlushAsync(pending, pendingStream, final: false);
                }

                if (pending.Length == 0)
                {
                    pendingSince = _time.GetTimestamp();
                }

                pendingStream = piece.Stream;
                pending.Write(piece.Bytes);
                while (pending.Length >= _options.ChunkBytes)
                {
                    await FlushAsync(pending, pendingStream, final: false, limit: _options.ChunkBytes);
                }

                continue;
            }

            waiting ??= reader.WaitToReadAsync().AsTask();
            if (pending.Length > 0 && !waiting.IsCompleted)
            {
                var due = _options.FlushInterval - _time.GetElapsedTime(pendingSince);
                using var cancelDelay = new CancellationTokenSource();
                var delay = Task.Delay(due > TimeSpan.Zero ? due : TimeSpan.Zero, _time, cancelDelay.Token);
                if (await Task.WhenAny(waiting, delay) == delay)
                {
                    await FlushAsync(pending, pendingStream, final: false);
                    continue;
                }

                await cancelDelay.CancelAsync();
            }

            var more = await waiting;
            waiting = null;
            if (!more)
            {
                break;
            }
        }

        await FlushAsync(pending, pendingStream, final: true);
        await FlushDecoderAsync(_stdoutDecoder, StdoutName);
        await FlushDecoderAsync(_stderrDecoder, StderrName);
    }

    private async ValueTask FlushAsync(MemoryStream pending, string? stream, bool final, int limit = int.MaxValue)
    {
        if (stream is null || pending.Length == 0)
        {
            return;
        }

        var buffer = pending.GetBuffer();
        var count = (int)Math.Min(pending.Length, limit);
        var text = Decode(DecoderFor(stream), buffer.AsSpan(0, count), final);

        // Keep what did not fit in this chunk at the front of the buffer.
        var left = (int)pending.Length - count;
        Buffer.BlockCopy(buffer, count, buffer, 0, left);
        pending.SetLength(left);

        if (text.Length > 0)
        {
            await _sink(new OutputChunk(stream, text));
        }
    }

    private async ValueTask FlushDecoderAsync(Decoder decoder, string stream)
    {
        var text = Decode(decoder, [], final: true);
        if (text.Length > 0)
        {
            await _sink(new OutputChunk(stream, text));
        }
    }

    private Decoder DecoderFor(string stream) => stream == StdoutName ? _stdoutDecoder : _stderrDecoder;

    private static string Decode(Decoder decoder, ReadOnlySpan<byte> bytes, bool final)
    {
        var chars = new char[decoder.GetCharCount(bytes, flush: final)];
        var written = decoder.GetChars(bytes, chars, flush: final);
        return new string(chars, 0, written);
    }

    // Invalid sequences become U+FFFD instead of failing: output is shown, not trusted.
    private static Decoder NewDecoder() => new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

    private readonly record struct Piece(string Stream, byte[] Bytes)
    {
        public static readonly Piece TruncationMarker = new("", []);

        public bool IsMarker => Stream.Length == 0;
    }
}
