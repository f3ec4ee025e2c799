namespace ChatOps.Conformance.Bus;

/// <summary>The payload of the suite's test messages: which key, which number in that key's sequence.</summary>
public sealed record BusProbe(string Key, int Seq);
