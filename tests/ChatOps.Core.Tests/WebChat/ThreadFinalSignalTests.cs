using ChatOps.Core.Chat;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Ports;
using ChatOps.Core.Tests.Alerts;
using ChatOps.Embedded.State;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Core.Tests.WebChat;

/// <summary>
/// <c>?wait=final</c> answers when the notifier stores the final status, here or in another process,
/// not at the next poll; and a lost signal costs a poll interval, never the answer. The clock is fake
/// and never moved unless a test says so: a waiter that relied on polling would wait forever.
/// </summary>
public sealed class ThreadFinalSignalTests
{
    private static readonly CommandView Succeeded = new("c1", "web-1", "run web-1 uptime", "olivia", CommandState.Succeeded, 0, TimeSpan.FromSeconds(1), null);

    [Fact]
    public async Task A_waiter_is_woken_when_the_final_status_is_stored_in_this_process()
    {
        await using var h = await AlertHarness.StartAsync();
        var threadId = await NewThreadAsync(h);
        var signal = h.Services.GetRequiredService<ThreadFinalSignal>();

        var wait = h.Services.GetRequiredService<WebConsole>().WaitForFinalAsync(threadId, "op", isAdmin: true, TimeSpan.FromMinutes(1));
        await WaitUntilAsync(() => signal.IsWaited(threadId));
        await WebClient(h).UpdateCommandAsync(Thread(threadId), Succeeded);

        var view = await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("succeeded", view!.Status);
        Assert.False(signal.IsWaited(threadId));
    }

    [Fact]
    public async Task A_waiter_in_another_process_is_woken_through_pub_sub()
    {
        await using var h = await AlertHarness.StartAsync();
        var threadId = await NewThreadAsync(h);
        await using var pubSub = new InMemoryPubSub();
        await using var notifierSide = new ThreadFinalSignal(h.Time, pubSub);
        await using var webSide = new ThreadFinalSignal(h.Time, pubSub);
        var threads = h.Services.GetRequiredService<IChatThreadStore>();
        var console = new WebConsole(h.Services.GetRequiredService<CommandIntake>(), threads, h.Time, webSide);
        await WaitUntilAsync(() => webSide.HearsOthers);

        var wait = console.WaitForFinalAsync(threadId, "op", isAdmin: true, TimeSpan.FromMinutes(1));
        await WaitUntilAsync(() => webSide.IsWaited(threadId));
        await new WebChatClient(threads, h.Time, notifierSide).UpdateCommandAsync(Thread(threadId), Succeeded);

        Assert.Equal("succeeded", (await wait.WaitAsync(TimeSpan.FromSeconds(10)))!.Status);
    }

    [Fact]
    public async Task A_lost_signal_costs_a_poll_interval_and_the_final_status_is_still_found()
    {
        await using var h = await AlertHarness.StartAsync();
        var threadId = await NewThreadAsync(h);
        await using var pubSub = new InMemoryPubSub();
        await using var webSide = new ThreadFinalSignal(h.Time, pubSub);
        // The notifier's announcement never arrives (a pub/sub message lost on the way).
        await using var deaf = new ThreadFinalSignal(h.Time);
        var threads = h.Services.GetRequiredService<IChatThreadStore>();
        var console = new WebConsole(h.Services.GetRequiredService<CommandIntake>(), threads, h.Time, webSide);
        await WaitUntilAsync(() => webSide.HearsOthers);

        var wait = console.WaitForFinalAsync(threadId, "op", isAdmin: true, TimeSpan.FromMinutes(1));
        await WaitUntilAsync(() => webSide.IsWaited(threadId));
        await new WebChatClient(threads, h.Time, deaf).UpdateCommandAsync(Thread(threadId), Succeeded);

        for (var i = 0; i < 400 && !wait.IsCompleted; i++)
        {
            h.Time.Advance(ThreadFinalSignal.PollInterval);
            await Task.WhenAny(wait, Task.Delay(5));
        }

        Assert.Equal("succeeded", (await wait.WaitAsync(TimeSpan.FromSeconds(10)))!.Status);
    }

    [Fact]
    public async Task Without_a_final_status_the_wait_ends_at_its_timeout_with_the_thread_as_it_is()
    {
        await using var h = await AlertHarness.StartAsync();
        var threadId = await NewThreadAsync(h);
        var console = h.Services.GetRequiredService<WebConsole>();

        var wait = console.WaitForFinalAsync(threadId, "op", isAdmin: true, TimeSpan.FromSeconds(2));
        for (var i = 0; i < 400 && !wait.IsCompleted; i++)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(wait, Task.Delay(5));
        }

        Assert.Equal("queued", (await wait.WaitAsync(TimeSpan.FromSeconds(10)))!.Status);
    }

    private static async Task<string> NewThreadAsync(AlertHarness h)
    {
        var threads = h.Services.GetRequiredService<IChatThreadStore>();
        var threadId = "t" + Guid.NewGuid().ToString("N")[..10];
        await threads.CreateThreadAsync(new ChatThread(threadId, "console", "op", null, h.Time.GetUtcNow()));
        await threads.SetStatusAsync(threadId, "queued");
        return threadId;
    }

    private static ChatRef Thread(string threadId) => new(WebChatClient.PlatformName, "console", threadId);

    private static WebChatClient WebClient(AlertHarness h) =>
        h.Services.GetServices<IChatClient>().OfType<WebChatClient>().Single();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++) await Task.Delay(5);
        Assert.True(condition());
    }
}
