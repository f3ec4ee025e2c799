using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ChatOps.Core.Agents;
using ChatOps.Core.Events;

namespace ChatOps.Core.Tests;

/// <summary>
/// Reliability-security test 13 on the core's own deserializers (agent frames, bus envelopes, gateway
/// messages): depth bombs, duplicate keys, invalid UTF-8, huge numbers and huge roots are refused with a
/// <see cref="JsonException"/> (the one exception their callers turn into a refusal), within 100 ms.
/// Sizes beyond the transport limits (256 KiB frames, 1 MiB records) never reach these parsers.
/// </summary>
public sealed class ReliabilityJsonBombTests
{
    public static TheoryData<string, string> Parsers() => new()
    {
        { "agent frame", "commandId" },
        { "envelope", "key" },
        { "gateway message", "commandId" },
    };

    private static object? Parse(string parser, byte[] utf8) => parser switch
    {
        "agent frame" => AgentProtocol.Deserialize(utf8),
        "envelope" => ChatOpsJson.FromBytes(utf8),
        "gateway message" => JsonSerializer.Deserialize<GatewayMessage>(utf8, ChatOpsJson.Options),
        _ => throw new ArgumentOutOfRangeException(nameof(parser)),
    };

    private static string Discriminator(string parser) => parser == "envelope" ? "" : "\"type\":\"cancel\",";

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Depth_100000_is_refused_at_the_parser(string parser, string field)
    {
        var inArray = new string('[', 100_000) + new string(']', 100_000);
        var inField = "{" + Discriminator(parser) + $"\"{field}\":" + new string('[', 100_000) + new string(']', 100_000) + "}";

        AssertRefusedFast(parser, Encoding.UTF8.GetBytes(inArray));
        AssertRefusedFast(parser, Encoding.UTF8.GetBytes(inField));
    }

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Duplicate_keys_are_refused(string parser, string field) =>
        AssertRefusedFast(parser, Encoding.UTF8.GetBytes("{" + Discriminator(parser) + $"\"{field}\":\"a\",\"{field}\":\"b\",\"serverId\":\"web-1\"}}"));

    [Theory]
    [MemberData(nameof(Parsers))]
    public void Invalid_utf8_in_a_field_is_refused(string parser, string field)
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes("{" + Discriminator(parser) + $"\"{field}\":\"a"), 0xC3, 0x28, 0xFF, .. "\",\"serverId\":\"web-1\"}"u8];

        AssertRefusedFast(parser, bytes);
    }

    [Theory]
    [MemberData(nameof(Parsers))]
    public void A_huge_number_is_refused(string parser, string field) =>
        AssertRefusedFast(parser, Encoding.UTF8.GetBytes("{" + Discriminator(parser) + $"\"{field}\":1e999999,\"serverId\":\"web-1\"}}"));

    [Theory]
    [MemberData(nameof(Parsers))]
    public void A_ten_million_element_root_array_is_refused_at_its_first_token(string parser, string field)
    {
        _ = field;
        var bytes = new byte[20_000_001];
        Array.Fill(bytes, (byte)',');
        bytes[0] = (byte)'[';
        for (var i = 1; i < bytes.Length - 1; i += 2) bytes[i] = (byte)'1';
        bytes[^1] = (byte)']';

        AssertRefusedFast(parser, bytes);
    }

    private static void AssertRefusedFast(string parser, byte[] utf8)
    {
        // The first call pays for building the serializer's metadata; time the refusal, not the warm-up.
        _ = Record.Exception(() => Parse(parser, "{\"key\":1}"u8.ToArray()));
        var watch = Stopwatch.StartNew();
        var error = Record.Exception(() => Parse(parser, utf8));
        watch.Stop();

        Assert.IsAssignableFrom<JsonException>(error);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(100), $"{parser}: refusing took {watch.Elapsed.TotalMilliseconds:0} ms");
    }
}
