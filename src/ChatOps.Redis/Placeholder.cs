namespace ChatOps.Redis; internal static class Placeholder { }
