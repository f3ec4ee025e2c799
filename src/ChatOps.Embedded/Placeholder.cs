namespace ChatOps.Embedded; internal static class Placeholder { }
