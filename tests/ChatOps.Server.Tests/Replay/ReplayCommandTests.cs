using ChatOps.Kafka.Replay;
using ChatOps.Server.Replay;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace ChatOps.Server.Tests.Replay;

public sealed class ReplayCommandTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void From_accepts_a_time_an_age_an_offset_partition_offset_pairs_and_earliest()
    {
        Assert.Equal(new DateTimeOffset(2025, 5, 31, 8, 30, 0, TimeSpan.Zero), Parse("--from", "2025-05-31T08:30:00Z").From.Time);
        Assert.Equal(new DateTimeOffset(2025, 5, 31, 8, 30, 0, TimeSpan.Zero), Parse("--from", "2025-05-31T10:30:00+02:00").From.Time);
        Assert.Equal(new DateTimeOffset(2025, 5, 31, 8, 30, 0, TimeSpan.Zero), Parse("--from", "2025-05-31 08:30").From.Time);
        Assert.Equal(Now.AddHours(-2), Parse("--from", "2h").From.Time);
        Assert.Equal(Now.AddMinutes(-30), Parse("--from", "30m").From.Time);
        Assert.Equal(Now.AddDays(-7), Parse("--from", "7d").From.Time);
        Assert.Equal(120, Parse("--from", "120").From.Offset);
        Assert.Equal(0, Parse("--from", "earliest").From.Offset);
        Assert.Equal(new Dictionary<int, long> { [0] = 120, [3] = 5 }, Parse("--from", "0:120,3:5").From.PartitionOffsets);
    }

    [Fact]
    public void To_and_out_select_the_destination_and_bootstrap_servers_is_kept()
    {
        var redrive = Parse("--to", "events-topic.replayed", "--bootstrap-servers", "k1:9092");
        Assert.Equal("events-topic.replayed", redrive.TargetTopic);
        Assert.Null(redrive.OutputFile);
        Assert.Equal("k1:9092", redrive.BootstrapServers);
        Assert.Equal("out.jsonl", Parse("--out", "out.jsonl").OutputFile);
    }

    [Theory]
    [InlineData("give either --to or --out, not both", "--topic", "t", "--from", "0", "--to", "u", "--out", "f")]
    [InlineData("give --to <topic> to re-drive or --out <file> to export", "--topic", "t", "--from", "0")]
    [InlineData("--from is required", "--topic", "t", "--out", "f")]
    [InlineData("--topic is required", "--from", "0", "--out", "f")]
    [InlineData("--from needs a value", "--topic", "t", "--from", "--out", "f")]
    [InlineData("unknown argument '--group'", "--topic", "t", "--from", "0", "--out", "f", "--group", "g")]
    [InlineData("--topic is given twice", "--topic", "t", "--topic", "u", "--from", "0", "--out", "f")]
    [InlineData("--from 2025-07-01T00:00:00Z is in the future", "--topic", "t", "--from", "2025-07-01T00:00:00Z", "--out", "f")]
    [InlineData("--from '0:1,0:2' names partition 0 twice", "--topic", "t", "--from", "0:1,0:2", "--out", "f")]
    [InlineData("--from 'yesterday' is not a time", "--topic", "t", "--from", "yesterday", "--out", "f")]
    [InlineData("--from '-5' is not a time", "--topic", "t", "--from", "-5", "--out", "f")]
    public void Bad_arguments_are_refused_with_a_message_that_says_what_to_fix(string expected, params string[] args)
    {
        var (arguments, error) = ReplayArguments.Parse(args, Now);

        Assert.Null(arguments);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_exits_2_with_the_reason_and_the_usage_and_no_stack_trace()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());

        var exit = await ReplayCommand.RunAsync(["replay", "--topic", "events-topic", "--from", "soon", "--out", "x.jsonl"], new FakeTimeProvider(Now), stdout, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("chatops replay: --from 'soon' is not a time", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("usage: chatops replay", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public async Task Help_prints_the_usage()
    {
        var stdout = new StringWriter();

        var exit = await ReplayCommand.RunAsync(["replay", "--help"], stdout: stdout, stderr: new StringWriter());

        Assert.Equal(0, exit);
        Assert.Contains("--from 0:120,3:5", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_bootstrap_servers_exit_2_naming_the_key_before_Kafka_is_asked()
    {
        var stderr = new StringWriter();

        var exit = await ReplayCommand.RunAsync(["replay", "--topic", "t", "--from", "0", "--out", "x.jsonl", "--bootstrap-servers", "no-port"], stdout: new StringWriter(), stderr: stderr);

        Assert.Equal(2, exit);
        Assert.Contains("ChatOps:Kafka:BootstrapServers must be a comma-separated list of host:port", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Kafka_settings_come_from_configuration_and_bootstrap_servers_overrides_them()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatOps:Kafka:BootstrapServers"] = "k1:9092,k2:9092",
            ["ChatOps:Kafka:ClientId"] = "ops",
        }).Build();

        var (fromConfiguration, none) = ReplayCommand.ReadKafkaOptions(null, configuration);
        var (overridden, _) = ReplayCommand.ReadKafkaOptions("other:9092", configuration);
        var (_, missing) = ReplayCommand.ReadKafkaOptions(null, new ConfigurationBuilder().Build());

        Assert.Empty(none);
        Assert.Equal("k1:9092,k2:9092", fromConfiguration.BootstrapServers);
        Assert.Equal("ops", fromConfiguration.ClientId);
        Assert.Equal("other:9092", overridden.BootstrapServers);
        Assert.Contains(missing, p => p.Contains("ChatOps:Kafka:BootstrapServers is required", StringComparison.Ordinal) && p.Contains("--bootstrap-servers", StringComparison.Ordinal));
    }

    private static ReplayArguments Parse(params string[] extra)
    {
        var args = new List<string> { "--topic", "events-topic" };
        args.AddRange(extra);
        if (!extra.Contains("--from")) args.AddRange(["--from", "0"]);
        if (!extra.Contains("--to") && !extra.Contains("--out")) args.AddRange(["--out", "export.jsonl"]);
        var (arguments, error) = ReplayArguments.Parse(args, Now);
        Assert.True(arguments is not null, error);
        return arguments;
    }
}
