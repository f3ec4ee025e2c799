namespace ChatOps.Server.Tests.Support;

/// <summary>One host per test class (xUnit class fixture), for tests that do not change its settings.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    public ChatOpsApp App { get; } = new();

    public Task InitializeAsync()
    {
        // Starts the host (migrations, bootstrap admin) before the first test.
        using var client = App.Anonymous();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}
