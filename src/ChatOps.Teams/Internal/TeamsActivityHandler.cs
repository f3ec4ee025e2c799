using System.Text.Json;
using System.Text.Json.Nodes;
using ChatOps.Core.Chat;
using ChatOps.Core.Commands;
using ChatOps.Core.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatOps.Teams.Internal;

/// <summary>
/// <c>POST /api/messages</c>: authenticates the request (nothing is read or done for a request that
/// fails), then handles messages (commands), card clicks (<c>value</c> on a message, or an
/// <c>adaptiveCard/action</c> invoke, answered in the response) and ignores the rest with a 200.
/// A redelivered activity id is answered without being handled again.
/// </summary>
internal sealed partial class TeamsActivityHandler(
    BotFrameworkTokenValidator validator,
    TeamsOptions options,
    ServiceUrls serviceUrls,
    TeamsIdentity identity,
    CommandIntake intake,
    ConversationOutbox outbox,
    RootCards cards,
    TimeProvider time,
    ILogger<TeamsActivityHandler> logger)
{
    private const string InvokeMessageType = "application/vnd.microsoft.activity.message";

    private readonly ExpiringSet _handled = new(time, TimeSpan.FromHours(24), 200_000);

    public async Task HandleAsync(HttpContext context)
    {
        var headers = context.Request.Headers.Authorization;
        var token = await validator.ValidateTokenAsync(headers.Count == 1 ? headers[0] : null, context.RequestAborted);
        if (!token.Result.Succeeded)
        {
            await RefuseAsync(context, token.Result.StatusCode);
            return;
        }

        var (activity, status, problem) = await ActivityReader.ReadAsync(context.Request, options.MaxActivityBytes, context.RequestAborted);
        if (activity is null)
        {
            await WriteErrorAsync(context, status, "bad_request", problem!);
            return;
        }

        var bound = validator.Bind(token, activity.ChannelId, activity.ServiceUrl);
        if (!bound.Succeeded)
        {
            await RefuseAsync(context, bound.StatusCode);
            return;
        }

        if (options.TenantId is { } tenant && !string.Equals(activity.TenantId, tenant, StringComparison.OrdinalIgnoreCase))
        {
            LogOtherTenant(activity.TenantId ?? "(none)");
            await WriteErrorAsync(context, StatusCodes.Status403Forbidden, "forbidden", "This bot does not serve this tenant.");
            return;
        }

        serviceUrls.RememberValidated(activity.ServiceUrl!);
        switch (activity.Type)
        {
            case ActivityTypes.Message:
            case ActivityTypes.Invoke:
                await HandleOnceAsync(context, activity);
                break;
            default:
                // Receivers should accept activity types they do not act on (conversationUpdate, reactions, …).
                LogIgnored(activity.Type!);
                context.Response.StatusCode = StatusCodes.Status200OK;
                break;
        }
    }

    private async Task HandleOnceAsync(HttpContext context, Activity activity)
    {
        if (string.IsNullOrEmpty(activity.Id) || string.IsNullOrEmpty(activity.Conversation?.Id))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "bad_request", "The activity has no id or no conversation id.");
            return;
        }

        var key = activity.Conversation.Id + "\n" + activity.Id;
        if (!_handled.TryAdd(key))
        {
            LogDuplicate(activity.Id);
            if (activity.Type == ActivityTypes.Invoke) await WriteInvokeMessageAsync(context, "Already handled.");
            else context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        try
        {
            if (activity.Type == ActivityTypes.Invoke) await OnInvokeAsync(context, activity);
            else await OnMessageAsync(context, activity);
        }
        catch
        {
            // Not handled: let the Bot Framework's retry of this activity through.
            _handled.Remove(key);
            throw;
        }
    }

    private async Task OnMessageAsync(HttpContext context, Activity activity)
    {
        string? answer;
        if (activity.Value is { ValueKind: JsonValueKind.Object } value)
        {
            answer = await OnCardActionAsync(activity, CardActions.FromSubmit(value));
        }
        else
        {
            answer = await RunAsync(activity, TeamsText.CommandText(activity.Text));
        }

        if (answer is not null) Reply(activity, answer);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task OnInvokeAsync(HttpContext context, Activity activity)
    {
        if (activity.Name != ActivityTypes.AdaptiveCardAction)
        {
            // What the SDK answers for an invoke nobody handles.
            LogIgnored($"invoke {activity.Name}");
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            return;
        }

        var action = activity.Value is { } value ? CardActions.FromInvoke(value) : null;
        if (action is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new JsonObject
            {
                ["statusCode"] = 400,
                ["type"] = "application/vnd.microsoft.error",
                ["value"] = new JsonObject { ["code"] = "BadRequest", ["message"] = "The invoke has no Action.Execute action." },
            });
            return;
        }

        await WriteInvokeMessageAsync(context, await OnCardActionAsync(activity, action) ?? "Done.");
    }

    /// <summary>
    /// A button click, run as the clicking user through the same intake as a typed command: Approve is
    /// <c>approve &lt;id&gt;</c>, Deny is <c>deny &lt;id&gt; [comment]</c>, an alert button is the command it
    /// shows. Roles, self-approval and expiry are the core's to decide, in one place.
    /// </summary>
    private async Task<string?> OnCardActionAsync(Activity activity, CardAction? action)
    {
        if (action is null) return "That button carries no action I know.";
        switch (action.Name)
        {
            case CardActions.Cancel when CardActions.IsPlainId(action.CommandId):
                return await RunAsync(activity, $"cancel {action.CommandId}");
            case CardActions.Approve when CardActions.IsPlainId(action.CommandId):
                return await RunAsync(activity, $"approve {action.CommandId}");
            case CardActions.Deny when CardActions.IsPlainId(action.CommandId):
                return await RunAsync(activity, CardActions.OneLine(action.Comment) is { } reason ? $"deny {action.CommandId} {reason}" : $"deny {action.CommandId}");
            case CardActions.Cancel or CardActions.Approve or CardActions.Deny:
                return $"That {Capitalized(action.Name)} button names no valid command id.";
            case CardActions.Alert when action.Command is { Length: > 0 and <= CardActions.MaxAlertCommandLength } command:
                return await RunAsync(activity, command.ReplaceLineEndings(" "));
            case CardActions.Alert:
                return "That alert button carries no command.";
            default:
                return $"That button carries an action I do not know (`{TextHygiene.Escape(action.Name)}`).";
        }
    }

    private static string Capitalized(string word) => char.ToUpperInvariant(word[0]) + word[1..];

    /// <summary>Runs one command line for the sender; returns the text to answer with, or null when the command card answers.</summary>
    private async Task<string?> RunAsync(Activity activity, string text)
    {
        // Past authentication nothing should be half-done because Teams hung up: no request token here.
        var cancellationToken = CancellationToken.None;
        if (text.Length == 0) return "I found no command in your message. Type `help` to see what I can do.";
        if (text.Length > TeamsText.MaxCommandLength) return $"That message is longer than {TeamsText.MaxCommandLength} characters; commands are short.";

        var sender = await identity.ResolveAsync(activity, cancellationToken);
        if (sender.User is not { } user) return NotMapped(sender);

        var requestId = TeamsRequestIds.For(activity.Conversation!.Id!, activity.Id!);
        var thread = Thread(activity, requestId, rootActivityId: null);
        var requester = new Requester(user.Id, sender.Identity, sender.DisplayName);
        var decision = await intake.PrepareAsync(new IntakeRequest(requester, thread, text, requestId), cancellationToken);
        if (decision.Pending is not { } pending) return decision.Reply.Text;

        var singleTarget = TargetSelector.TryParse(pending.Target, out var selector, out _) && selector.Kind == TargetKind.Id;
        var card = cards.GetOrAdd(requestId, () => new RootCardState(requestId, pending.Text, pending.Target, sender.DisplayName, singleTarget, time.GetUtcNow()));
        var rootActivityId = await PostCommandCardAsync(activity, card);
        if (rootActivityId is not null)
            decision = decision with { Pending = pending with { ReplyTo = Thread(activity, requestId, rootActivityId) } };

        if (await intake.SubmitAsync(decision, cancellationToken) is { } refused)
        {
            lock (card) card.MarkNotAccepted(refused.Text);
            _ = Observe(outbox.EnqueueCardUpdate(card, activity.ServiceUrl!, activity.Conversation.Id!, activity.Id, rootActivityId));
            return refused.Text;
        }

        return null;
    }

    /// <summary>
    /// Posts the command card and waits briefly for its id, so the id travels with the command and
    /// any process can update the card; a slow post goes on in the background.
    /// </summary>
    private async Task<string?> PostCommandCardAsync(Activity activity, RootCardState card)
    {
        JsonObject message;
        lock (card) message = AdaptiveCards.Attachment(AdaptiveCards.Command(card));

        message["conversation"] = new JsonObject { ["id"] = activity.Conversation!.Id };
        message["replyToId"] = activity.Id;
        if (activity.Recipient?.Id is { } bot) message["from"] = new JsonObject { ["id"] = bot, ["name"] = activity.Recipient.Name };
        var sent = Enqueue(new Outbound
        {
            Kind = OutboundKind.Message,
            ServiceUrl = activity.ServiceUrl!,
            ConversationId = activity.Conversation.Id!,
            ReplyToId = activity.Id,
            Activity = message,
            OnSent = id =>
            {
                lock (card) card.ActivityId ??= id;
            },
        });

        using var wait = new CancellationTokenSource();
        var done = await Task.WhenAny(sent, Task.Delay(options.RootCardWait, time, wait.Token));
        await wait.CancelAsync();
        return done == sent && sent.IsCompletedSuccessfully ? sent.Result : null;
    }

    private void Reply(Activity activity, string text)
    {
        var message = new JsonObject
        {
            ["type"] = "message",
            ["conversation"] = new JsonObject { ["id"] = activity.Conversation!.Id },
            ["replyToId"] = activity.Id,
            ["text"] = text,
            ["textFormat"] = "markdown",
        };
        if (activity.Recipient?.Id is { } bot) message["from"] = new JsonObject { ["id"] = bot, ["name"] = activity.Recipient.Name };
        if (activity.From?.Id is { } user) message["recipient"] = new JsonObject { ["id"] = user, ["name"] = activity.From.Name };
        _ = Enqueue(new Outbound
        {
            Kind = OutboundKind.Message,
            ServiceUrl = activity.ServiceUrl!,
            ConversationId = activity.Conversation.Id!,
            ReplyToId = activity.Id,
            Activity = message,
        });
    }

    private Task<string?> Enqueue(Outbound item) => Observe(outbox.Enqueue(item));

    // The sender logs what it could not deliver; the caller only waits where it needs an id.
    private static Task<string?> Observe(Task<string?> sent)
    {
        _ = sent.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        return sent;
    }

    private static ChatRef Thread(Activity activity, string requestId, string? rootActivityId)
    {
        var extra = new Dictionary<string, string>
        {
            [TeamsChatClient.ServiceUrlKey] = activity.ServiceUrl!,
            [TeamsChatClient.RequestIdKey] = requestId,
        };
        if (activity.TenantId is { } tenant) extra[TeamsChatClient.TenantIdKey] = tenant;
        if (activity.Recipient?.Id is { } bot) extra[TeamsChatClient.BotIdKey] = bot;
        if (rootActivityId is not null) extra[TeamsChatClient.RootActivityIdKey] = rootActivityId;
        return new ChatRef(TeamsChatClient.PlatformName, activity.Conversation!.Id!, activity.Id, extra);
    }

    private static string NotMapped(TeamsSender sender) =>
        $"You ({sender.Identity}) are not mapped to a ChatOps user. Ask an admin to link your account (identity `{sender.Identity}`).";

    private static Task WriteInvokeMessageAsync(HttpContext context, string text)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = 200, ["type"] = InvokeMessageType, ["value"] = text });
    }

    // The reason is in the validator's log line; the caller learns no more than the status.
    private static Task RefuseAsync(HttpContext context, int status) => status switch
    {
        StatusCodes.Status403Forbidden => WriteErrorAsync(context, status, "forbidden", "The token does not belong to this activity."),
        StatusCodes.Status503ServiceUnavailable => WriteErrorAsync(context, status, "unavailable", "The signing keys cannot be loaded right now; try again."),
        _ => WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "A valid Bot Framework token is required."),
    };

    private static Task WriteErrorAsync(HttpContext context, int status, string error, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new JsonObject { ["error"] = error, ["message"] = message });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Teams activity refused: tenant {TenantId} is not the configured one")]
    private partial void LogOtherTenant(string tenantId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Teams activity of type {Type} acknowledged and not acted on")]
    private partial void LogIgnored(string type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Teams activity {ActivityId} was delivered again; already handled")]
    private partial void LogDuplicate(string activityId);
}
