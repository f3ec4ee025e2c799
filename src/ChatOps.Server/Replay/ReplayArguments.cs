using System.Globalization;
using ChatOps.Kafka.Replay;

namespace ChatOps.Server.Replay;

/// <summary>What <c>chatops replay</c> was asked to do, or why its arguments are wrong.</summary>
internal sealed record ReplayArguments(string Topic, ReplayStart From, string? TargetTopic, string? OutputFile, string? BootstrapServers)
{
    public const string Usage = """
        usage: chatops replay --topic <topic> --from <start> (--to <topic> | --out <file>) [--bootstrap-servers <host:port,...>]

        Re-drives (--to) or exports as JSON lines (--out) the records of a Kafka topic, from <start> up to
        the end of each partition when the replay starts. No consumer group is joined or moved.

          --from 2025-06-01T12:00:00Z   records stamped at or after this time (ISO-8601; no offset means UTC)
          --from 2h                     records of the last 2 hours (s, m, h or d)
          --from 120                    from offset 120 on every partition
          --from 0:120,3:5              from these offsets on these partitions only
          --from earliest               everything still kept

        Brokers come from ChatOps:Kafka:BootstrapServers (appsettings.json, environment variable
        ChatOps__Kafka__BootstrapServers) unless --bootstrap-servers is given.
        """;

    /// <summary>The arguments after <c>replay</c>; an error text (never an exception) when they are wrong.</summary>
    public static (ReplayArguments? Arguments, string? Error) Parse(IReadOnlyList<string> args, DateTimeOffset now)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is not ("--topic" or "--from" or "--to" or "--out" or "--bootstrap-servers"))
            {
                return (null, $"unknown argument '{name}'");
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                return (null, $"{name} needs a value");
            }

            if (!values.TryAdd(name, args[++i]))
            {
                return (null, $"{name} is given twice");
            }
        }

        if (!values.TryGetValue("--topic", out var topic) || string.IsNullOrWhiteSpace(topic))
        {
            return (null, "--topic is required");
        }

        if (!values.TryGetValue("--from", out var fromText))
        {
            return (null, "--from is required");
        }

        var to = values.GetValueOrDefault("--to");
        var output = values.GetValueOrDefault("--out");
        if (to is not null && output is not null)
        {
            return (null, "give either --to or --out, not both");
        }

        if (to is null && output is null)
        {
            return (null, "give --to <topic> to re-drive or --out <file> to export");
        }

        var from = ParseStart(fromText, now, out var error);
        return from is null ? (null, error) : (new ReplayArguments(topic, from, to, output, values.GetValueOrDefault("--bootstrap-servers")), null);
    }

    private static ReplayStart? ParseStart(string text, DateTimeOffset now, out string? error)
    {
        error = null;
        text = text.Trim();
        if (text is "earliest" or "beginning")
        {
            return ReplayStart.FromOffset(0);
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return ReplayStart.FromOffset(offset);
        }

        if (text.Contains(':', StringComparison.Ordinal) && text.Split(',').All(pair => pair.Split(':') is [var p, var o] && IsNumber(p) && IsNumber(o)))
        {
            var pairs = new Dictionary<int, long>();
            foreach (var pair in text.Split(','))
            {
                var parts = pair.Split(':');
                if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
                    || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var at))
                {
                    error = $"--from '{text}': '{pair}' is not partition:offset";
                    return null;
                }

                if (!pairs.TryAdd(partition, at))
                {
                    error = $"--from '{text}' names partition {partition} twice";
                    return null;
                }
            }

            return ReplayStart.FromOffsets(pairs);
        }

        if (text.Length >= 2 && IsNumber(text[..^1]) && RelativeUnit(text[^1]) is { } unit
            && double.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            return ReplayStart.At(now - unit * amount);
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            && char.IsAsciiDigit(text[0]))
        {
            if (time > now)
            {
                error = $"--from {text} is in the future";
                return null;
            }

            return ReplayStart.At(time);
        }

        error = $"--from '{text}' is not a time (2025-06-01T12:00:00Z), an age (30m, 2h, 7d), an offset (120), partition:offset pairs (0:120,3:5) or earliest";
        return null;
    }

    private static bool IsNumber(string text) => text.Length is > 0 and < 19 && text.All(char.IsAsciiDigit);

    private static TimeSpan? RelativeUnit(char unit) => unit switch
    {
        's' => TimeSpan.FromSeconds(1),
        'm' => TimeSpan.FromMinutes(1),
        'h' => TimeSpan.FromHours(1),
        'd' => TimeSpan.FromDays(1),
        _ => null,
    };
}
