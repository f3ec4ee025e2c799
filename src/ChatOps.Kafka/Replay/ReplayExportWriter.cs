using System.Text;
using System.Text.Json;
using ChatOps.Kafka.Internal;
using Confluent.Kafka;

namespace ChatOps.Kafka.Replay;

/// <summary>
/// One JSON object per line: <c>topic</c>, <c>partition</c>, <c>offset</c>, <c>timestamp</c>, <c>key</c>,
/// <c>headers</c>, and either <c>envelope</c> (the value as JSON) or, for a record that is not an
/// envelope, <c>valueBase64</c> with the <c>error</c> that says why.
/// </summary>
internal sealed class ReplayExportWriter(Stream output) : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { Indented = false });

    public void Write(ConsumeResult<byte[], byte[]> record)
    {
        var message = record.Message;
        _json.WriteStartObject();
        _json.WriteString("topic", record.Topic);
        _json.WriteNumber("partition", record.Partition.Value);
        _json.WriteNumber("offset", record.Offset.Value);
        if (message.Timestamp.Type == TimestampType.NotAvailable)
        {
            _json.WriteNull("timestamp");
        }
        else
        {
            _json.WriteString("timestamp", new DateTimeOffset(message.Timestamp.UtcDateTime));
        }

        WriteBytes("key", message.Key);
        if (message.Headers is { Count: > 0 } headers)
        {
            _json.WriteStartObject("headers");
            foreach (var header in headers)
            {
                _json.WriteString(header.Key, Encoding.UTF8.GetString(header.GetValueBytes() ?? []));
            }

            _json.WriteEndObject();
        }

        if (RecordCodec.TryRead(record, out _, out var error))
        {
            // Re-written from the parsed value rather than copied: a pretty-printed value would break the line.
            using var value = JsonDocument.Parse(message.Value);
            _json.WritePropertyName("envelope");
            value.RootElement.WriteTo(_json);
        }
        else
        {
            _json.WriteString("valueBase64", Convert.ToBase64String(message.Value ?? []));
            _json.WriteString("error", error.Message);
        }

        _json.WriteEndObject();
        _json.Flush();
        output.WriteByte((byte)'\n');
        _json.Reset(output);
    }

    public void Complete() => output.Flush();

    public void Dispose() => _json.Dispose();

    private void WriteBytes(string name, byte[]? bytes)
    {
        if (bytes is null)
        {
            _json.WriteNull(name);
            return;
        }

        try
        {
            _json.WriteString(name, StrictUtf8.GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            _json.WriteString(name + "Base64", Convert.ToBase64String(bytes));
        }
    }
}
