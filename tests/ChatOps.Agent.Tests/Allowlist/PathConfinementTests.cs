using ChatOps.Agent.Allowlist;
using ChatOps.Agent.Tests.Support;

namespace ChatOps.Agent.Tests.Allowlist;

public sealed class PathConfinementTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _root;
    private readonly AllowlistAction _tail;

    public PathConfinementTests()
    {
        _root = Path.Combine(_temp.Path, "root");
        Directory.CreateDirectory(Path.Combine(_root, "logs"));
        File.WriteAllText(Path.Combine(_root, "logs", "app.log"), "line\n");
        File.WriteAllText(Path.Combine(_temp.Path, "secret.txt"), "outside the root\n");
        File.CreateSymbolicLink(Path.Combine(_root, "logs", "secret-link"), Path.Combine(_temp.Path, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), "/etc");
        Directory.CreateSymbolicLink(Path.Combine(_root, "relative-escape"), "../");
        Directory.CreateSymbolicLink(Path.Combine(_root, "current"), "logs");
        File.CreateSymbolicLink(Path.Combine(_root, "loop-a"), Path.Combine(_root, "loop-b"));
        File.CreateSymbolicLink(Path.Combine(_root, "loop-b"), Path.Combine(_root, "loop-a"));

        _tail = Allowlists.Action($$"""
            {
              "actions": {
                "tail": {
                  "argv": ["/usr/bin/tail", "-n", "5", "{file}"],
                  "params": [ { "name": "file", "type": "path", "root": "{{_root}}" } ],
                  "endOfOptions": true
                }
              }
            }
            """, "tail");
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("../../etc/shadow", "outside the allowed folder")]
    [InlineData("../secret.txt", "outside the allowed folder")]
    [InlineData("logs/../../secret.txt", "outside the allowed folder")]
    [InlineData("/etc/shadow", "outside the allowed folder")]
    [InlineData("%2e%2e%2f%2e%2e%2fetc%2fshadow", "%-encoded")]
    [InlineData("..%c0%af..%c0%afetc/shadow", "%-encoded")]
    [InlineData("..\\..\\etc\\shadow", "backslashes")]
    [InlineData("\uFF0E\uFF0E\uFF0F\uFF0E\uFF0E\uFF0Fetc\uFF0Fshadow", "fullwidth")]
    [InlineData("\u2024\u2024/etc/shadow", "lookalike")]
    [InlineData("logs/app.log\0.txt", "NUL")]
    [InlineData("escape/shadow", "through a symbolic link")]
    [InlineData("escape", "through a symbolic link")]
    [InlineData("logs/secret-link", "through a symbolic link")]
    [InlineData("relative-escape/secret.txt", "through a symbolic link")]
    [InlineData("loop-a", "too many symbolic links")]
    [InlineData("", "is empty")]
    public void Traversal_vectors_are_refused(string value, string expected)
    {
        var bound = _tail.Bind(new Dictionary<string, string> { ["file"] = value }, null);

        Assert.Null(bound.Command);
        Assert.Contains(expected, bound.Error);
    }

    [Theory]
    [InlineData("logs/app.log", "logs/app.log")]
    [InlineData("./logs/./app.log", "logs/app.log")]
    [InlineData("logs/../logs/app.log", "logs/app.log")]
    [InlineData("current/app.log", "logs/app.log")]
    [InlineData("logs/not-yet-written.log", "logs/not-yet-written.log")]
    public void Paths_inside_the_root_become_canonical_absolute_paths(string value, string expectedUnderRoot)
    {
        var bound = _tail.Bind(new Dictionary<string, string> { ["file"] = value }, null);

        Assert.Null(bound.Error);
        Assert.Equal(["-n", "5", "--", Path.Combine(PathConfinement.CanonicalRoot(_root)!, expectedUnderRoot)], bound.Command!.Arguments);
    }

    [Fact]
    public void An_absolute_path_inside_the_root_is_accepted()
    {
        var inside = Path.Combine(_root, "logs", "app.log");

        var bound = _tail.Bind(new Dictionary<string, string> { ["file"] = inside }, null);

        Assert.Null(bound.Error);
        Assert.EndsWith("/root/logs/app.log", bound.Command!.Arguments[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_sibling_folder_sharing_the_root_prefix_is_outside()
    {
        Directory.CreateDirectory(_root + "-other");

        var bound = _tail.Bind(new Dictionary<string, string> { ["file"] = _root + "-other/x" }, null);

        Assert.Contains("outside the allowed folder", bound.Error);
    }
}
