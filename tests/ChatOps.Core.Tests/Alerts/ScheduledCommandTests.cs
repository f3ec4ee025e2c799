using ChatOps.Core.Alerts.Rules;
using ChatOps.Core.Alerts.Scheduling;
using ChatOps.Core.Events;
using ChatOps.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Core.Tests.Alerts;

/// <summary>Scheduled commands go through the normal intake as the scheduler user, once per firing.</summary>
public sealed class ScheduledCommandTests
{
    [Fact]
    public async Task A_firing_runs_the_command_through_intake_once_and_opens_a_web_thread()
    {
        await using var h = await AlertHarness.StartAsync();
        var requested = new TaskCompletionSource<Envelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var _ = await h.Bus.SubscribeAsync(Topics.Commands, "test-commands", (envelope, _) =>
        {
            if (envelope.Type == EventTypes.CommandRequested) requested.TrySetResult(envelope);
            return Task.CompletedTask;
        });
        var runner = h.Services.GetRequiredService<ScheduledCommandRunner>();
        await runner.EnsureUserAsync(CancellationToken.None);
        var schedule = new ScheduledCommand("nightly-uptime", "0 0 3 * * ?", "run web-1 uptime", new AlertRoute("web", "ops"));
        var fireTime = AlertHarness.Start.AddHours(15);

        Assert.True(await runner.RunAsync(schedule, fireTime, CancellationToken.None));
        Assert.False(await runner.RunAsync(schedule, fireTime, CancellationToken.None));

        var command = (await requested.Task.WaitAsync(TimeSpan.FromSeconds(10))).Read<CommandRequested>();
        Assert.Equal("scheduler", command.Requester.UserId);
        Assert.Equal("run", command.CommandName);
        Assert.Equal("web-1", command.Target);
        Assert.Equal("web", command.ReplyTo.Platform);
        Assert.Equal("ops", command.ReplyTo.Channel);
        var thread = await h.Services.GetRequiredService<IChatThreadStore>().GetThreadAsync(command.ReplyTo.Thread!);
        Assert.Equal(command.RequestId, thread!.CommandId);
    }

    [Fact]
    public async Task On_other_platforms_the_answer_is_posted_to_the_channel_and_bad_commands_are_explained()
    {
        await using var h = await AlertHarness.StartAsync();
        var chat = new ChannelChatClient();
        var runner = new ScheduledCommandRunner(
            h.Services.GetRequiredService<Chat.Web.WebConsole>(),
            h.Services.GetRequiredService<Chat.CommandIntake>(),
            [chat],
            h.Services.GetRequiredService<INotificationLedger>(),
            h.Services.GetRequiredService<IUserStore>(),
            h.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ChatOps.Core.Alerts.AlertOptions>>(),
            h.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ScheduledCommandRunner>.Instance);
        await runner.EnsureUserAsync(CancellationToken.None);

        await runner.RunAsync(new ScheduledCommand("typo", "0 * * * * ?", "restrat web-1 nginx", new AlertRoute("chat", "C1")), AlertHarness.Start, CancellationToken.None);

        var (where, reply) = Assert.Single(chat.Replies);
        Assert.Equal("C1", where.Channel);
        Assert.StartsWith("⏰ typo: Unknown command", reply.Text);
        Assert.Contains("restart", reply.Text);
    }

    private sealed class ChannelChatClient : IChatClient
    {
        public List<(Domain.ChatRef Where, ChatReply Reply)> Replies { get; } = [];

        public string Platform => "chat";

        public Task PostReplyAsync(Domain.ChatRef thread, ChatReply reply, CancellationToken cancellationToken = default)
        {
            Replies.Add((thread, reply));
            return Task.CompletedTask;
        }

        public Task UpdateCommandAsync(Domain.ChatRef thread, CommandView view, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
