using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Npgsql;

namespace ChatOps.Postgres.Internal;

/// <summary>
/// Writes metric rows in PostgreSQL's binary COPY format straight onto the wire. The typed importer costs
/// several async calls and a type lookup per value, which made the ingestor's own CPU per sample about ten
/// times a raw COPY's; five fixed column types are simple enough to encode here.
/// </summary>
internal static class MetricCopyWriter
{
    private const int BufferSize = 64 * 1024;
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    // "PGCOPY\n\xff\r\n\0", then flags and header-extension length (both 0).
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>
    /// COPY <paramref name="table"/> (server_id, name, labels, at, value) FROM STDIN (FORMAT BINARY): one
    /// statement, so all rows or none; a server-side error (a duplicate key) surfaces as <see cref="PostgresException"/>.
    /// </summary>
    public static async Task CopyAsync(NpgsqlConnection connection, string table, List<MetricRow> rows, CancellationToken cancellationToken)
    {
        var copy = await connection.BeginRawBinaryCopyAsync($"COPY {table} (server_id, name, labels, at, value) FROM STDIN (FORMAT BINARY)", cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var written = false;
        try
        {
            Header.CopyTo(buffer, 0);
            var used = Header.Length;
            foreach (var row in rows)
            {
                var needed = 2 + (5 * 4) + 1 + 8 + 8
                    + Encoding.UTF8.GetMaxByteCount(row.ServerId.Length) + Encoding.UTF8.GetMaxByteCount(row.Name.Length) + Encoding.UTF8.GetMaxByteCount(row.Labels.Length);
                if (used + needed > buffer.Length)
                {
                    await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
                    used = 0;
                    if (needed > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(needed);
                    }
                }

                used += WriteRow(buffer.AsSpan(used), row);
            }

            BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), -1); // trailer
            used += 2;
            await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken);
            written = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!written)
            {
                // Disposing a raw COPY stream ends (commits) the COPY: a half-written one is cancelled instead.
                await CancelQuietlyAsync(copy);
            }
        }

        // Ends the COPY; the server checks the rows now, so a duplicate key throws here.
        await copy.DisposeAsync();
    }

    private static async Task CancelQuietlyAsync(NpgsqlRawCopyStream copy)
    {
        // Quietly: the exception that got us here is the one worth reporting.
        try
        {
            await copy.CancelAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The connection is broken or the COPY already failed: nothing was committed either way.
        }

        try
        {
            await copy.DisposeAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Same: the COPY did not commit.
        }
    }

    private static int WriteRow(Span<byte> span, MetricRow row)
    {
        BinaryPrimitives.WriteInt16BigEndian(span, 5);
        var at = 2;
        at += WriteText(span[at..], row.ServerId, jsonbVersion: false);
        at += WriteText(span[at..], row.Name, jsonbVersion: false);
        at += WriteText(span[at..], row.Labels, jsonbVersion: true);
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 4)..], (row.At.Ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond);
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 12)..], 8);
        BinaryPrimitives.WriteDoubleBigEndian(span[(at + 16)..], row.Value);
        return at + 24;
    }

    /// <summary>A length-prefixed UTF-8 field; jsonb's binary form is a version byte (1) before the text.</summary>
    private static int WriteText(Span<byte> span, string text, bool jsonbVersion)
    {
        var offset = 4;
        if (jsonbVersion)
        {
            span[offset++] = 1;
        }

        var length = Encoding.UTF8.GetBytes(text, span[offset..]);
        BinaryPrimitives.WriteInt32BigEndian(span, offset - 4 + length);
        return offset + length;
    }
}
