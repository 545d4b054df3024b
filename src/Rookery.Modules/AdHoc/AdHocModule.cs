using System.Collections.Concurrent;
using System.Security.Cryptography;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.AdHoc;

/// <summary>
/// Ad-hoc commands (XEP-0050) on each host: the command list in disco#items of the commands node holds the commands the
/// requester may run (§2.2), each command node answers disco#info (§2.3), and <c>&lt;command/&gt;</c> requests run
/// them through execute, next, prev, complete and cancel with a session id (§3.4). Sessions belong to the full JID that
/// started them and expire after <see cref="SessionTimeout"/> without use.
/// </summary>
/// <remarks>
/// The commands are offered at the host's JID, where XEP-0133 §3 puts them, and also at the requester's own bare JID:
/// RFC 6120 §10.3.3 has the server answer an iq sent to the sender's bare JID on behalf of the account, and clients
/// (Smack's service administration suite among them) look for an admin's commands there. At any other account's bare
/// JID there are no commands. A command that refuses what was submitted ends with status <c>completed</c> and a note
/// of type <c>error</c> (XEP-0050 §3.4.2), as Prosody and Openfire answer; protocol faults (unknown session, action or
/// node, a missing form, no rights) stay iq errors (§4.6).
/// </remarks>
[Xep(50, "1.3.0")]
[Xep(133, "1.3.1", XepStatus.Partial, Note = "Not offered: get-user-password (only SCRAM keys are stored), get-user-lastlogin (login times are not recorded), edit-blacklist/whitelist, set/delete-welcome, edit-admin (admins are configuration), restart, shutdown")]
public sealed class AdHocModule : IXmppModule
{
    /// <summary>The module's configuration name.</summary>
    public const string ModuleName = "adhoc";

    /// <summary>The ad-hoc commands namespace, also the node of the command list.</summary>
    public const string Namespace = "http://jabber.org/protocol/commands";

    /// <summary>How long a multi-stage command waits for its next action.</summary>
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Open sessions one requester may have; more is resource-constraint (a client that never finishes must not grow the table).</summary>
    public const int MaxSessionsPerRequester = 16;

    private readonly Dictionary<string, IAdHocCommand> _commands = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AdHocSession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Takes every registered command; two with the same node are a configuration error.</summary>
    public AdHocModule(IEnumerable<IAdHocCommand> commands, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(commands);
        _time = time;
        foreach (var command in commands)
        {
            if (!_commands.TryAdd(command.Node, command))
            {
                throw new InvalidOperationException($"Two ad-hoc commands have the node '{command.Node}'");
            }
        }
    }

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.AddDiscoNode(Namespace, OnCommandList);
        builder.AddAccountDiscoNode(Namespace, OnCommandList);
        foreach (var command in _commands.Values)
        {
            builder.AddDiscoNode(command.Node, (iq, query) => OnCommandNode(command, iq, query));
            builder.AddAccountDiscoNode(command.Node, (iq, query) => OnCommandNode(command, iq, query));
        }

        builder.HandleIq(IqType.Set, IqTarget.Host | IqTarget.Bare, Namespace, "command", OnCommandAsync);
    }

    /// <summary>The number of open multi-stage sessions (for tests and metrics).</summary>
    public int OpenSessions => _sessions.Count;

    /// <summary>XEP-0050 §2.2: the items are the commands this requester may run here; the node's identity is a command list.</summary>
    private ValueTask OnCommandList(IqContext iq, Element query)
    {
        if (query.Namespace == Disco.DiscoModule.InfoNamespace)
        {
            query.AddChild("identity").SetAttribute("category", "automation").SetAttribute("type", "command-list").SetAttribute("name", "Commands");
            query.AddChild("feature").SetAttribute("var", Disco.DiscoModule.InfoNamespace);
            query.AddChild("feature").SetAttribute("var", Disco.DiscoModule.ItemsNamespace);
            return ValueTask.CompletedTask;
        }

        if (!IsOwnAddress(iq))
        {
            // Another account's bare JID offers nothing (XEP-0050 §2.2 allows an empty list).
            return ValueTask.CompletedTask;
        }

        // The items name the address that was asked, so that a client runs the commands where it found them.
        var address = iq.To.ToString();
        foreach (var command in _commands.Values.OrderBy(c => c.Node, StringComparer.Ordinal))
        {
            if (command.MayExecute(iq.From, iq.To.Domain))
            {
                query.AddChild("item").SetAttribute("jid", address).SetAttribute("node", command.Node).SetAttribute("name", command.Name);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// True for the host's JID and for the requester's own bare JID (RFC 6120 §10.3.3: the server answers for the
    /// account); false for another account's bare JID.
    /// </summary>
    private static bool IsOwnAddress(IqContext iq) => iq.To.Local is null || iq.From.Bare == iq.To.Bare;

    /// <summary>XEP-0050 §2.3: a command node is an automation/command-node that speaks commands and data forms.</summary>
    private static ValueTask OnCommandNode(IAdHocCommand command, IqContext iq, Element query)
    {
        if (!IsOwnAddress(iq))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        if (!command.MayExecute(iq.From, iq.To.Domain))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You may not run this command");
        }

        if (query.Namespace == Disco.DiscoModule.InfoNamespace)
        {
            query.AddChild("identity").SetAttribute("category", "automation").SetAttribute("type", "command-node").SetAttribute("name", command.Name);
            query.AddChild("feature").SetAttribute("var", Namespace);
            query.AddChild("feature").SetAttribute("var", DataForm.Namespace);
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask<IqResult> OnCommandAsync(IqContext iq)
    {
        var payload = iq.Payload;
        var node = payload.GetAttribute("node");
        if (!IsOwnAddress(iq))
        {
            // RFC 6120 §8.3.3.19 / §10.3.3: nothing at another account's bare JID answers commands.
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable);
        }

        if (node is not null && !_commands.ContainsKey(node) && Admin.AdminCommand.Unavailable.TryGetValue(node, out var reason))
        {
            throw new StanzaErrorException(StanzaErrorCondition.FeatureNotImplemented, reason);
        }

        if (node is null || !_commands.TryGetValue(node, out var command))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No such command");
        }

        if (!command.MayExecute(iq.From, iq.To.Domain))
        {
            // XEP-0050 §4.4: a requester without the rights gets forbidden.
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You may not run this command");
        }

        var action = ParseAction(payload.GetAttribute("action"));
        var sessionId = payload.GetAttribute("sessionid");
        if (sessionId is null)
        {
            if (action != AdHocAction.Execute)
            {
                throw Error(StanzaErrorCondition.BadRequest, "bad-sessionid", "Only 'execute' starts a command; other actions need a session id");
            }

            return await StartAsync(iq, command).ConfigureAwait(false);
        }

        if (!_sessions.TryGetValue(sessionId, out var session) || session.Requester != iq.From || session.Command != command)
        {
            // §4.4: a session id that is unknown, or belongs to someone else or another command.
            throw Error(StanzaErrorCondition.BadRequest, "bad-sessionid", "No such session");
        }

        await session.Gate.WaitAsync(iq.Cancellation).ConfigureAwait(false);
        try
        {
            return await ContinueAsync(iq, session, action).ConfigureAwait(false);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private async ValueTask<IqResult> StartAsync(IqContext iq, IAdHocCommand command)
    {
        var now = _time.GetUtcNow();
        Sweep(now);
        var session = new AdHocSession(NewSessionId(), iq.From, command, now);
        var step = await RunAsync(command, new AdHocRequest(iq.From, iq.To.Domain, 0, AdHocAction.Execute, null, session.State, iq.Cancellation)).ConfigureAwait(false);
        if (step.IsCompleted)
        {
            return IqResult.With(Answer(command, session.Id, step, canGoBack: false));
        }

        var open = 0;
        foreach (var s in _sessions.Values)
        {
            if (s.Requester == iq.From)
            {
                open++;
            }
        }

        if (open >= MaxSessionsPerRequester)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ResourceConstraint, "Too many unfinished commands; complete or cancel one first");
        }

        session.Stages.Add(step);
        _sessions[session.Id] = session;
        return IqResult.With(Answer(command, session.Id, step, canGoBack: false));
    }

    private async ValueTask<IqResult> ContinueAsync(IqContext iq, AdHocSession session, AdHocAction action)
    {
        var now = _time.GetUtcNow();
        if (!_sessions.ContainsKey(session.Id))
        {
            // Completed or cancelled by a request that held the gate before this one.
            throw Error(StanzaErrorCondition.BadRequest, "bad-sessionid", "No such session");
        }

        if (now - session.LastUsed > SessionTimeout)
        {
            _sessions.TryRemove(session.Id, out _);
            throw Error(StanzaErrorCondition.NotAllowed, "session-expired", "The command waited too long and was cancelled");
        }

        session.LastUsed = now;
        var command = session.Command;
        var current = session.Stages[^1];
        if (action == AdHocAction.Execute)
        {
            action = current.DefaultAction;
        }

        // §3.4.3: a submitted form of type cancel cancels the command.
        var submitted = iq.Payload.Child("x", DataForm.Namespace);
        if (action == AdHocAction.Cancel || submitted?.GetAttribute("type") == "cancel")
        {
            _sessions.TryRemove(session.Id, out _);
            return IqResult.With(Status(command, session.Id, "canceled"));
        }

        if (action == AdHocAction.Prev)
        {
            if (session.Stages.Count < 2)
            {
                throw Error(StanzaErrorCondition.BadRequest, "bad-action", "There is no previous stage");
            }

            session.Stages.RemoveAt(session.Stages.Count - 1);
            return IqResult.With(Answer(command, session.Id, session.Stages[^1], canGoBack: session.Stages.Count > 1));
        }

        if ((current.Actions & action) == 0)
        {
            throw Error(StanzaErrorCondition.BadRequest, "bad-action", $"'{ActionName(action)}' is not allowed at this stage");
        }

        if (submitted is null)
        {
            throw Error(StanzaErrorCondition.BadRequest, "bad-payload", "Submit the form (type 'submit')");
        }

        var form = DataForm.Parse(submitted);
        if (form.Type != "submit")
        {
            throw Error(StanzaErrorCondition.BadRequest, "bad-payload", "The form must be of type 'submit'");
        }

        var step = await RunAsync(command, new AdHocRequest(iq.From, iq.To.Domain, session.Stages.Count, action, form, session.State, iq.Cancellation)).ConfigureAwait(false);
        if (step.IsCompleted)
        {
            _sessions.TryRemove(session.Id, out _);
            return IqResult.With(Answer(command, session.Id, step, canGoBack: false));
        }

        session.Stages.Add(step);
        return IqResult.With(Answer(command, session.Id, step, canGoBack: true));
    }

    /// <summary>
    /// Runs one stage. A refusal of the submitted data ends the command with an error note (XEP-0050 §3.4.2) rather
    /// than an iq error: the requester learns why, and no half-finished session is left waiting for a correction that
    /// most clients never send.
    /// </summary>
    private static async ValueTask<AdHocStep> RunAsync(IAdHocCommand command, AdHocRequest request)
    {
        try
        {
            return await command.ExecuteAsync(request).ConfigureAwait(false);
        }
        catch (StanzaErrorException e)
        {
            return AdHocStep.Completed(note: e.Text ?? e.Condition.ToWireName(), noteType: "error");
        }
    }

    /// <summary>Drops sessions nobody used for twice the timeout (the requester went away without cancelling).</summary>
    private void Sweep(DateTimeOffset now)
    {
        foreach (var (id, session) in _sessions)
        {
            if (now - session.LastUsed > SessionTimeout * 2)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }

    /// <summary>The &lt;command/&gt; answer for a stage: executing with its actions and form, or completed with notes and result.</summary>
    private static Element Answer(IAdHocCommand command, string sessionId, AdHocStep step, bool canGoBack)
    {
        var answer = Status(command, sessionId, step.IsCompleted ? "completed" : "executing");
        if (!step.IsCompleted)
        {
            var actions = answer.AddChild("actions").SetAttribute("execute", ActionName(step.DefaultAction));
            if (canGoBack)
            {
                actions.AddChild("prev");
            }

            if ((step.Actions & AdHocAction.Next) != 0)
            {
                actions.AddChild("next");
            }

            if ((step.Actions & AdHocAction.Complete) != 0)
            {
                actions.AddChild("complete");
            }
        }

        foreach (var (type, text) in step.Notes)
        {
            answer.AddChild("note").SetAttribute("type", type).AddText(text);
        }

        if (step.Form is not null)
        {
            answer.Add(step.Form.ToElement());
        }

        return answer;
    }

    private static Element Status(IAdHocCommand command, string sessionId, string status) =>
        new Element("command", Namespace).SetAttribute("node", command.Node).SetAttribute("sessionid", sessionId).SetAttribute("status", status);

    private static AdHocAction ParseAction(string? action) => action switch
    {
        null or "execute" => AdHocAction.Execute,
        "next" => AdHocAction.Next,
        "prev" => AdHocAction.Prev,
        "complete" => AdHocAction.Complete,
        "cancel" => AdHocAction.Cancel,
        _ => throw Error(StanzaErrorCondition.BadRequest, "malformed-action", $"'{action}' is not an action"),
    };

    private static string ActionName(AdHocAction action) => action switch
    {
        AdHocAction.Next => "next",
        AdHocAction.Prev => "prev",
        AdHocAction.Complete => "complete",
        AdHocAction.Cancel => "cancel",
        _ => "execute",
    };

    /// <summary>A stanza error with XEP-0050 §4.6's application-specific condition.</summary>
    private static StanzaErrorException Error(StanzaErrorCondition condition, string specific, string text) =>
        new(condition, text, new Element(specific, Namespace));

    private static string NewSessionId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
