namespace ChatOps.Conformance; internal static class Placeholder { }
