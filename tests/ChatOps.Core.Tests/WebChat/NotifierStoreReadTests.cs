using System.Reflection;
using ChatOps.Core.Agents;
using ChatOps.Core.Chat.Web;
using ChatOps.Core.Domain;
using ChatOps.Core.Events;
using ChatOps.Core.Notifications;
using ChatOps.Core.Ports;
using ChatOps.Core.Tests.Alerts;
using ChatOps.Core.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Core.Tests.WebChat;

/// <summary>
/// The notifier reads a command from the store only for chat platforms whose root message shows it
/// (Slack, Teams); the web channel keeps a status word, so its updates cost no read.
/// </summary>
public sealed class NotifierStoreReadTests
{
    private static readonly CommandCompleted Completed = new("c1", "web-1", ResultStatuses.Succeeded, 0, 1200, false, new ChatRef("test", "ops", "t1"));

    [Fact]
    public async Task A_root_showing_platform_gets_the_command_read_from_the_store()
    {
        var store = CountingCommandStore.Create();
        var chat = new RecordingChatClient();

        await new CommandNotifier([chat], store).HandleAsync(Envelope.Create(EventTypes.CommandCompleted, "web-1", Completed, DateTimeOffset.UnixEpoch), CancellationToken.None);

        Assert.Equal(1, ((CountingCommandStore)(object)store).Reads);
        Assert.Equal(CommandState.Succeeded, chat.LastView("c1")!.State);
    }

    [Fact]
    public async Task The_web_channel_updates_its_thread_status_without_reading_the_command()
    {
        await using var h = await AlertHarness.StartAsync();
        var threads = h.Services.GetRequiredService<IChatThreadStore>();
        await threads.CreateThreadAsync(new ChatThread("t1", "ops", "op", "c1", h.Time.GetUtcNow()));
        var store = CountingCommandStore.Create();
        var web = h.Services.GetServices<IChatClient>().OfType<WebChatClient>().Single();
        var completed = Completed with { ReplyTo = new ChatRef(WebChatClient.PlatformName, "ops", "t1") };

        await new CommandNotifier([web], store).HandleAsync(Envelope.Create(EventTypes.CommandCompleted, "web-1", completed, DateTimeOffset.UnixEpoch), CancellationToken.None);

        Assert.Equal(0, ((CountingCommandStore)(object)store).Reads);
        Assert.Equal("succeeded", await threads.GetStatusAsync("t1"));
    }

    /// <summary>Counts <see cref="ICommandStore.GetAsync"/>; finds nothing; any other call is a test failure.</summary>
    public class CountingCommandStore : DispatchProxy
    {
        public int Reads { get; private set; }

        public static ICommandStore Create() => Create<ICommandStore, CountingCommandStore>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(ICommandStore.GetAsync)) throw new InvalidOperationException($"unexpected store call {targetMethod?.Name}");
            Reads++;
            return Task.FromResult<CommandRecord?>(null);
        }
    }
}
