using ChatOps.Core.Ports;

namespace ChatOps.Kafka.Internal;

internal static class ConsumerOptionsCheck
{
    public static ConsumerOptions Validate(ConsumerOptions? options)
    {
        options ??= new ConsumerOptions();
        if (options.MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxAttempts, $"{nameof(ConsumerOptions.MaxAttempts)} must be at least 1.");
        }

        if (options.InitialBackoff < TimeSpan.Zero || options.MaxBackoff < options.InitialBackoff)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                $"Backoff must satisfy 0 <= {nameof(ConsumerOptions.InitialBackoff)} ({options.InitialBackoff}) <= {nameof(ConsumerOptions.MaxBackoff)} ({options.MaxBackoff}).");
        }

        if (options.MaxInFlightPerPartition < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                options.MaxInFlightPerPartition,
                $"{nameof(ConsumerOptions.MaxInFlightPerPartition)} must be at least 1 (1 handles a partition one message at a time).");
        }

        return options;
    }

    /// <summary>The pause after failed attempt number <paramref name="attempt"/> (1-based): doubling, capped.</summary>
    public static TimeSpan BackoffAfter(ConsumerOptions options, int attempt)
    {
        var ticks = options.InitialBackoff.Ticks * Math.Pow(2, Math.Min(attempt - 1, 62));
        return ticks >= options.MaxBackoff.Ticks ? options.MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }
}
