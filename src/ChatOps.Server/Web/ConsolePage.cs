using System.Reflection;

namespace ChatOps.Server.Web;

/// <summary>
/// The admin page at <c>/</c>: sign-in, dashboard, console, history, approvals, catalog and rules,
/// users, API keys, audit. One static HTML shell, one script and one stylesheet embedded in the binary;
/// all data comes from <c>/api/</c> and is rendered with <c>textContent</c> only.
/// </summary>
public static class ConsolePage
{
    public static IEndpointRouteBuilder MapConsolePage(this IEndpointRouteBuilder app)
    {
        var html = Read("console.html");
        var script = Read("console.js");
        var style = Read("console.css");
        app.MapGet("/", () => Results.Text(html, "text/html; charset=utf-8"));
        app.MapGet("/console.js", () => Results.Text(script, "text/javascript; charset=utf-8"));
        app.MapGet("/console.css", () => Results.Text(style, "text/css; charset=utf-8"));
        app.MapGet("/favicon.ico", () => Results.NoContent());
        return app;
    }

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ChatOps.Server.Web." + name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
