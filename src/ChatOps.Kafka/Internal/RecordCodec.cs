using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Events;
using Confluent.Kafka;

namespace ChatOps.Kafka.Internal;

/// <summary>Envelope to Kafka record and back; records that are not envelopes become a describable stand-in.</summary>
internal static class RecordCodec
{
    /// <summary>The type of the stand-in envelope parked for a record that could not be read as an envelope.</summary>
    public const string UndecodableType = "kafka.undecodable_record";

    // A poison record can be as large as the broker allows; its dead letter keeps a bounded sample.
    private const int MaxKeptValueBytes = 16 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Message<string, byte[]> ToMessage(Envelope envelope, byte[] value)
    {
        var headers = new Headers
        {
            { KafkaHeaders.MessageId, Encoding.UTF8.GetBytes(envelope.Id) },
            { KafkaHeaders.Type, Encoding.UTF8.GetBytes(envelope.Type) },
            { KafkaHeaders.SchemaVersion, Encoding.UTF8.GetBytes(envelope.SchemaVersion.ToString(CultureInfo.InvariantCulture)) },
        };
        if (!string.IsNullOrEmpty(envelope.TraceParent))
        {
            headers.Add(KafkaHeaders.TraceParent, Encoding.UTF8.GetBytes(envelope.TraceParent));
        }

        return new Message<string, byte[]> { Key = envelope.Key, Value = value, Headers = headers };
    }

    /// <summary>Reads the record's value as an envelope; false (with the reason) when it is not one.</summary>
    public static bool TryRead(ConsumeResult<byte[], byte[]> record, out Envelope envelope, out Exception error)
    {
        envelope = null!;
        error = null!;
        var value = record.Message.Value;
        if (value is null || value.Length == 0)
        {
            error = new InvalidDataException("The record has no value (a tombstone or an empty message), so it is not an envelope.");
            return false;
        }

        try
        {
            var read = ChatOpsJson.FromBytes(value);
            var missing = Missing(read);
            if (missing is not null)
            {
                error = new InvalidDataException($"The record is JSON but not an envelope: {missing}.");
                return false;
            }

            // Records written by other tools may carry the trace only in the standard header.
            if (read.TraceParent is null && record.Message.Headers?.TryGetLastBytes(KafkaHeaders.TraceParent, out var traceParent) == true)
            {
                read = read with { TraceParent = TryUtf8(traceParent) };
            }

            envelope = read;
            return true;
        }
        catch (JsonException ex)
        {
            error = new InvalidDataException($"The record is not an envelope: {ex.Message}", ex);
            return false;
        }
    }

    /// <summary>
    /// A stand-in envelope for a record that is not one, so it can be parked like any failed message.
    /// Its id is derived from the record's position: parking it twice yields the same id.
    /// </summary>
    public static Envelope Undecodable(ConsumeResult<byte[], byte[]> record, DateTimeOffset now)
    {
        var key = record.Message.Key is { } keyBytes ? Encoding.UTF8.GetString(keyBytes) : "";
        var value = record.Message.Value ?? [];
        var kept = value.AsSpan(0, Math.Min(value.Length, MaxKeptValueBytes));
        var text = TryUtf8(kept);
        var payload = new UndecodableRecord(
            record.Topic,
            record.Partition.Value,
            record.Offset.Value,
            value.Length,
            kept.Length < value.Length,
            text,
            text is null ? Convert.ToBase64String(kept) : null,
            record.Message.Headers?.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes() ?? []), StringComparer.Ordinal));
        var occurredAt = record.Message.Timestamp.Type == TimestampType.NotAvailable ? now : record.Message.Timestamp.UtcDateTime;
        return new Envelope(
            $"{record.Topic}-{record.Partition.Value}-{record.Offset.Value}",
            UndecodableType,
            1,
            occurredAt,
            key,
            JsonSerializer.SerializeToElement(payload, ChatOpsJson.Options));
    }

    private static string? Missing(Envelope envelope)
    {
        // The JSON reader fills absent members with null whatever the record's annotations say.
        var fields = new List<string>();
        if (string.IsNullOrWhiteSpace(envelope.Id))
        {
            fields.Add("id");
        }

        if (string.IsNullOrWhiteSpace(envelope.Type))
        {
            fields.Add("type");
        }

        if (envelope.Key is null)
        {
            fields.Add("key");
        }

        if (envelope.Payload.ValueKind == JsonValueKind.Undefined)
        {
            fields.Add("payload");
        }

        return fields.Count == 0 ? null : "missing " + string.Join(", ", fields);
    }

    private static string? TryUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
