namespace ChatOps.Slack; internal static class Placeholder { }
