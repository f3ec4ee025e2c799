using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ChatOps.Server.Tests.Browser;

/// <summary>
/// Debian's Chromium and ChromeDriver (<c>apt-get install -y chromium chromium-driver</c>), headless, with
/// a fresh profile and no background networking (the machines reach no browser downloads or Google
/// services). A missing browser fails the test: CI installs it (tests/run.sh).
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string Browser = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private readonly DirectoryInfo _profile = Directory.CreateTempSubdirectory("chatops-chromium-");

    public HeadlessChromium()
    {
        if (!File.Exists(Browser) || !File.Exists(DriverPath))
            throw new InvalidOperationException($"{Browser} or {DriverPath} is missing: `apt-get install -y chromium chromium-driver` (tests/run.sh does this as root).");
        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000", "--user-data-dir=" + _profile.FullName);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public ChromeDriver Driver { get; }

    /// <summary>Waits (up to 30 s) until <paramref name="condition"/> holds; the failure names what was awaited.</summary>
    public T Until<T>(Func<IWebDriver, T> condition, string what)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(30)) { Message = what, PollingInterval = TimeSpan.FromMilliseconds(50) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    /// <summary>Starts collecting uncaught errors and unhandled promise rejections of the page's script.</summary>
    public void RecordScriptErrors() => Driver.ExecuteScript("""
        window.__errors = [];
        window.addEventListener('error', e => window.__errors.push(String(e.message)));
        window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
        """);

    public IReadOnlyList<string> ScriptErrors() =>
        ((IEnumerable<object>?)Driver.ExecuteScript("return window.__errors;") ?? []).Select(e => e?.ToString() ?? "").ToList();

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    public void Type(string css, string text)
    {
        var input = Find(css);
        input.Clear();
        input.SendKeys(text);
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try
        {
            _profile.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a file for a moment; a temporary folder left behind is harmless.
        }
    }
}
