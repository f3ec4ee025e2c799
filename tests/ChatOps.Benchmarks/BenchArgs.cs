namespace ChatOps.Benchmarks;

public sealed record BenchArgs(string? Scenario, int Requests, int Concurrency, int Servers)
{
    public static BenchArgs Parse(string[] args)
    {
        string? scenario = null;
        int requests = 2000, concurrency = 16, servers = 1000;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--servers": servers = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default: scenario ??= args[i]; break;
            }
        }

        return new BenchArgs(scenario, requests, concurrency, servers);
    }
}
