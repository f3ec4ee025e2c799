using ChatOps.Benchmarks;
using ChatOps.Benchmarks.Agents;
using ChatOps.Benchmarks.Scenarios;

// Benchmarks print figures, never pass/fail: see tests/README.md (Performance) for the latest ones.
var scenarios = new Dictionary<string, Func<BenchArgs, Task>>
{
    ["ack"] = AckLatencyScenario.RunAsync,
    ["ack-scale"] = AckLatencyScenario.RunScaleAsync,
    ["slack-ack"] = SlackAckScenario.RunAsync,
    ["roundtrip"] = RoundTripScenario.RunAsync,
    ["roundtrip-scale"] = RoundTripScenario.RunScaleAsync,
    ["router"] = RouterThroughputScenario.RunAsync,
    ["router-scale"] = RouterThroughputScenario.RunScaleAsync,
    ["store"] = StoreScenario.RunAsync,
    ["redis-lock"] = RedisLockScenario.RunAsync,
    ["kafka-bus"] = KafkaBusScenario.RunAsync,
    ["agents"] = AgentsScenario.RunAsync,
    ["ingest"] = IngestScenario.RunAsync,
    ["alert-latency"] = AlertLatencyScenario.RunAsync,
    [EchoHost.ScenarioName] = EchoHost.RunAsync, // internal: the `agents` baseline's process; does nothing when run by hand
};

var bench = BenchArgs.Parse(args);
if (bench.Scenario is null || (bench.Scenario != "all" && !scenarios.ContainsKey(bench.Scenario)))
{
    Console.Error.WriteLine($"usage: ChatOps.Benchmarks <{string.Join("|", scenarios.Keys)}|all> [--requests N] [--concurrency N] [--servers N] [--rates R1,R2 (open-loop requests/s for ack and slack-ack)]");
    return 2;
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
foreach (var (name, run) in scenarios.Where(s => bench.Scenario == "all" || s.Key == bench.Scenario))
{
    Console.WriteLine();
    Console.WriteLine($"## {name}");
    await run(bench);
}

return 0;
