using System.Reflection;

namespace ChatOps.Server.Web;

/// <summary>The console page at <c>/</c>: the same chat as <c>/api/chat</c>, for people. Files are embedded in the binary.</summary>
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
