namespace ChatOps.Email; internal static class Placeholder { }
