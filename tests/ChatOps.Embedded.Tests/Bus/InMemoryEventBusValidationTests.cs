using System.Text.Json;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;
using Microsoft.Extensions.Options;
using static ChatOps.Embedded.Tests.Bus.BusTestSupport;

namespace ChatOps.Embedded.Tests.Bus;

/// <summary>Bad input gets a clear error naming what is wrong.</summary>
public sealed class InMemoryEventBusValidationTests
{
    private static readonly EnvelopeHandler Ignore = (e, ct) => Task.CompletedTask;

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("orders topic")]
    [InlineData("orders/topic")]
    [InlineData("..")]
    [InlineData("tópico")]
    public async Task Topic_names_kafka_would_refuse_are_refused(string topic)
    {
        await using var bus = new InMemoryEventBus();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => bus.PublishAsync(topic, Probe("k", 1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => bus.SubscribeAsync(topic, "g", Ignore));
    }

    [Fact]
    public async Task An_overlong_topic_name_is_refused_and_kafka_names_are_accepted()
    {
        await using var bus = new InMemoryEventBus();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync(new string('t', 250), Probe("k", 1)));
        Assert.Contains("249", error.Message, StringComparison.Ordinal);
        await bus.PublishAsync(Topics.DeadLetter(Topics.Commands), Probe("k", 1));
        await bus.PublishAsync("Metrics_v2.raw", Probe("k", 1));
    }

    [Fact]
    public async Task Incomplete_envelopes_are_refused()
    {
        await using var bus = new InMemoryEventBus();
        var good = Probe("k", 1);

        await Assert.ThrowsAsync<ArgumentNullException>(() => bus.PublishAsync("orders", null!));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync("orders", good with { Id = "" }));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync("orders", good with { Type = " " }));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync("orders", good with { Key = null! }));
        await Assert.ThrowsAsync<ArgumentException>(() => bus.PublishAsync("orders", good with { Payload = default(JsonElement) }));
    }

    [Fact]
    public async Task Bad_subscriptions_are_refused()
    {
        await using var bus = new InMemoryEventBus();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => bus.SubscribeAsync("orders", "", Ignore));
        await Assert.ThrowsAsync<ArgumentNullException>(() => bus.SubscribeAsync("orders", "g", null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bus.SubscribeAsync("orders", "g", Ignore, new ConsumerOptions { MaxAttempts = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bus.SubscribeAsync(
            "orders", "g", Ignore, new ConsumerOptions { InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromSeconds(1) }));
    }

    [Fact]
    public async Task A_cancelled_publish_is_not_accepted()
    {
        await using var bus = new InMemoryEventBus();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bus.PublishAsync("orders", Probe("k", 1), cancelled.Token));
    }

    [Fact]
    public void Bad_options_are_all_reported_at_once_by_name()
    {
        var options = Options.Create(new InMemoryBusOptions { Partitions = 0, MaxRetainedPerPartition = 0 });

        var error = Assert.Throws<OptionsValidationException>(() => new InMemoryEventBus(options));

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains(nameof(InMemoryBusOptions.Partitions), StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains(nameof(InMemoryBusOptions.MaxRetainedPerPartition), StringComparison.Ordinal));
    }
}
