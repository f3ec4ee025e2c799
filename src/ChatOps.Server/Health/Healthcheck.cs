namespace ChatOps.Server.Health;

/// <summary>
/// <c>chatops --healthcheck [url]</c>: asks a running server's <c>/healthz</c> and exits 0 or 1. Container images
/// carry no curl, so the health check of the image is the binary itself.
/// </summary>
public static class Healthcheck
{
    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length > 1 ? args[1] : "http://127.0.0.1:8080/healthz";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var response = await http.GetAsync(url);
            Console.WriteLine($"{url}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"{url}: {ex.Message}");
            return 1;
        }
    }
}
