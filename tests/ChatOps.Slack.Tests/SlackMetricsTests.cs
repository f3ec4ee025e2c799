using System.Diagnostics.Metrics;
using ChatOps.Core.Observability;
using ChatOps.Core.Ports;
using ChatOps.Slack.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatOps.Slack.Tests;

/// <summary>
/// The Web API client reports on the host's <see cref="ChatOpsMeter"/>: each call that fails for good
/// in <c>chatops_chat_api_errors_total</c> (platform, error), each Retry-After waited out in
/// <c>chatops_chat_rate_limit_wait_seconds</c> (platform).
/// </summary>
public sealed class SlackMetricsTests : IDisposable
{
    private readonly FakeSlackApi _slack = new();
    private readonly ChatOpsMeter _meter = new();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, string?> Tags)> _measured = [];

    public SlackMetricsTests()
    {
        // Only this test's instruments: other tests in the process have meters of the same name.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, _meter.ChatApiErrors) || ReferenceEquals(instrument, _meter.ChatRateLimitWaits)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
        _slack.Dispose();
    }

    [Fact]
    public async Task A_call_Slack_refuses_counts_one_error_with_its_code()
    {
        _slack.Fault = _ => new FakeReply(200, """{"ok":false,"error":"channel_not_found"}""");

        await Assert.ThrowsAsync<ChatDeliveryException>(() => Api().PostMessageAsync("C0GONE001", new SlackMessage("hello")));

        var error = Assert.Single(Measured("chatops_chat_api_errors_total"));
        Assert.Equal(1, error.Value);
        Assert.Equal("slack", error.Tags["platform"]);
        Assert.Equal("channel_not_found", error.Tags["error"]);
    }

    [Fact]
    public async Task A_call_that_succeeds_after_retries_counts_no_error_and_one_that_runs_out_counts_one()
    {
        var calls = 0;
        _slack.Fault = _ => Interlocked.Increment(ref calls) <= 2 ? new FakeReply(503, "busy") : null;
        await Api().PostMessageAsync("C0CHAN001", new SlackMessage("eventually"));
        Assert.Empty(Measured("chatops_chat_api_errors_total"));

        _slack.Fault = _ => new FakeReply(500, "down");
        await Assert.ThrowsAsync<ChatDeliveryException>(() => Api().PostToResponseUrlAsync(_slack.ResponseUrl("r1"), new SlackMessage("late"), maxAttempts: 2));

        var error = Assert.Single(Measured("chatops_chat_api_errors_total"));
        Assert.Equal("http_500", error.Tags["error"]);
    }

    [Fact]
    public async Task A_Retry_After_that_is_waited_out_is_recorded_in_seconds()
    {
        var calls = 0;
        _slack.Fault = _ => Interlocked.Increment(ref calls) == 1 ? new FakeReply(429, """{"ok":false,"error":"ratelimited"}""", RetryAfter: "1") : null;

        await Api().PostMessageAsync("C0CHAN001", new SlackMessage("after a wait"));

        var wait = Assert.Single(Measured("chatops_chat_rate_limit_wait_seconds"));
        Assert.Equal(1.0, wait.Value);
        Assert.Equal("slack", wait.Tags["platform"]);
        Assert.Empty(Measured("chatops_chat_api_errors_total"));
    }

    private List<(string Instrument, double Value, Dictionary<string, string?> Tags)> Measured(string name)
    {
        lock (_measured) return _measured.Where(m => m.Instrument == name).ToList();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>();
        foreach (var tag in tags) copy[tag.Key] = tag.Value?.ToString();
        lock (_measured) _measured.Add((instrument.Name, value, copy));
    }

    private SlackWebApiClient Api() => new(new HttpClient(), new SlackOptions
    {
        BotToken = "xoxb-test",
        SigningSecret = "secret",
        ApiBaseUrl = _slack.ApiBaseUrl,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        MaxAttempts = 4,
    }, TimeProvider.System, NullLogger<SlackWebApiClient>.Instance, _meter);
}
