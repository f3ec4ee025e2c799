namespace ChatOps.Postgres; internal static class Placeholder { }
