using System.Globalization;

namespace ChatOps.Benchmarks;

/// <summary>
/// When the calls of an open loop are due, as offsets from its start, and what to call that pattern.
/// Three patterns at the same average rate: evenly spaced (no two requests overlap unless the server
/// is slow), random (independent people typing: a Poisson process, so requests overlap by chance as
/// they do in a real workspace), and bursts (that many requests at the same instant, again and again).
/// </summary>
public sealed record Arrivals(string Label, IReadOnlyList<TimeSpan> Dues)
{
    // Fixed, so every run and every endpoint in a run gets the same arrival times.
    private const int Seed = 20261128;

    public static Arrivals Even(int total, double perSecond) =>
        new(Format($"{perSecond:0}/s open loop"), [.. Enumerable.Range(0, total).Select(i => TimeSpan.FromSeconds(i / perSecond))]);

    public static Arrivals Bursts(int total, double perSecond, int size) =>
        new(Format($"{perSecond:0}/s open loop, {size} at once"), [.. Enumerable.Range(0, total).Select(i => TimeSpan.FromSeconds(i / size * size / perSecond))]);

    /// <summary>Exponentially distributed gaps with mean 1 / rate.</summary>
    public static Arrivals Random(int total, double perSecond)
    {
        var random = new System.Random(Seed);
        var dues = new List<TimeSpan>(total);
        var at = 0.0;
        for (var i = 0; i < total; i++)
        {
            dues.Add(TimeSpan.FromSeconds(at));
            at += -Math.Log(1 - random.NextDouble()) / perSecond;
        }

        return new Arrivals(Format($"{perSecond:0}/s open loop, random arrivals"), dues);
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
