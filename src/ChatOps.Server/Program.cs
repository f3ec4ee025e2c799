using ChatOps.Server.Health;
using ChatOps.Server.Hosting;

// chatops: one binary for every mode. With no configuration it runs every module in one process
// on in-process adapters and SQLite, listening on 127.0.0.1:8080, with a local agent enrolled.
if (args is ["--healthcheck", ..]) return await Healthcheck.RunAsync(args);
if (args is ["replay", ..]) return await ChatOps.Server.Replay.ReplayCommand.RunAsync(args);

// Configuration is read once at start (nothing uses IOptionsMonitor), so reload-on-change would only
// put a recursive file watcher on the content root, which in the default layout holds ./data: every
// SQLite write woke it (about 5 % of the CPU under load).
var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
var settings = ChatOpsSettings.Read(builder.Configuration);
var errors = settings.Errors.Concat(builder.AddChatOpsServer(settings)).ToList();
if (errors.Count > 0)
{
    foreach (var error in errors) Console.Error.WriteLine($"chatops: configuration error: {error}");
    return 2;
}

var app = builder.Build();
app.MapChatOps(settings);
try
{
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
{
    // Start-up failures (port in use, unwritable data folder) get one clear line, not a stack trace.
    Console.Error.WriteLine($"chatops: could not start: {ex.Message}");
    return 1;
}

/// <summary>The entry point, visible to tests (WebApplicationFactory).</summary>
public partial class Program;
