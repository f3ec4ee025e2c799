namespace ChatOps.Redis.Tests.Support;

/// <summary>Where <c>redis-server</c> is: <c>REDIS_SERVER</c>, else the PATH; missing fails the tests (never skips them).</summary>
internal static class RedisBinary
{
    public static string Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("REDIS_SERVER");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/local/bin", "/usr/sbin"])
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            "redis-server is not installed, so the Redis tests cannot run (they fail rather than skip). "
            + "Install it with `apt-get install -y redis-server`, or point REDIS_SERVER at the binary.");
    }
}
