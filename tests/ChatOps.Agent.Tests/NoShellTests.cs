using System.Text.RegularExpressions;

namespace ChatOps.Agent.Tests;

/// <summary>
/// Reliability-security tests 7 and 14, by reading the agent's source: nothing in it may start a
/// shell, use shell execution, or build a command line as one string.
/// </summary>
public sealed partial class NoShellTests
{
    [Fact]
    public void The_agent_source_never_uses_a_shell_or_an_arguments_string()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "src", "ChatOps.Agent"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(sources, f => f.EndsWith("ActionRunner.cs", StringComparison.Ordinal));

        var findings = sources
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => Forbidden().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.Empty(findings);
    }

    [Fact]
    public void The_one_process_start_uses_shell_execute_false_and_an_argument_list()
    {
        var runner = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "ChatOps.Agent", "Execution", "ActionRunner.cs"));

        Assert.Contains("UseShellExecute = false", runner, StringComparison.Ordinal);
        Assert.Contains("ArgumentList.Add", runner, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("var info = new ProcessStartInfo(\"/bin/sh\");")]
    [InlineData("startInfo.ArgumentList.Add(\"-c\");")]
    [InlineData("FileName = \"bash\",")]
    [InlineData("UseShellExecute = true,")]
    [InlineData("startInfo.Arguments = string.Join(' ', args);")]
    [InlineData("Process.Start(\"df -h\");")]
    [InlineData("Process.Start(program, arguments);")]
    [InlineData("\"argv\": [\"/usr/bin/bash\", \"-c\", \"{script}\"]")]
    public void The_scan_recognises_shell_use(string line)
    {
        Assert.Matches(Forbidden(), line);
    }

    // Shells by path or name, shell flags, shell execution, and the single-string forms of Process.
    [GeneratedRegex(@"/bin/(ba|da|z|k|c|tc)?sh\b|""(ba|da|z)?sh""|""-c""|cmd(\.exe)?\s*/c|powershell|UseShellExecute\s*=\s*true|\.Arguments\s*=|Process\.Start\(\s*""|Process\.Start\([^)]*,", RegexOptions.IgnoreCase)]
    private static partial Regex Forbidden();

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "ChatOps.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("ChatOps.sln not found above " + AppContext.BaseDirectory);
    }
}
