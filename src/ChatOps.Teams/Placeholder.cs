namespace ChatOps.Teams; internal static class Placeholder { }
