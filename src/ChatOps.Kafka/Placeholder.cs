namespace ChatOps.Kafka; internal static class Placeholder { }
