namespace ChatOps.Conformance.State;

internal static class StateDisposal
{
    public static async Task DisposeAsync(object? adapter)
    {
        switch (adapter)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
