namespace ChatOps.Benchmarks;

/// <param name="Rates">Open-loop arrival rates (requests per second) for the latency scenarios: <c>--rates 100,400</c>.</param>
public sealed record BenchArgs(string? Scenario, int Requests, int Concurrency, int Servers, IReadOnlyList<double> Rates)
{
    public static BenchArgs Parse(string[] args)
    {
        string? scenario = null;
        int requests = 2000, concurrency = 16, servers = 1000;
        IReadOnlyList<double> rates = [100, 400];
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--servers": servers = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--rates": rates = args[++i].Split(',').Select(r => double.Parse(r, System.Globalization.CultureInfo.InvariantCulture)).ToList(); break;
                default: scenario ??= args[i]; break;
            }
        }

        return new BenchArgs(scenario, requests, concurrency, servers, rates);
    }
}
