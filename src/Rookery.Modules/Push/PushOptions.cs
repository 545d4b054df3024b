namespace Rookery.Modules.Push;

/// <summary>Settings of the <c>push</c> module (configuration section <c>Modules:Push</c>).</summary>
public sealed class PushOptions
{
    /// <summary>
    /// Whether a notification names the sender of the message in <c>last-message-sender</c> (its bare JID). Default
    /// false, as ejabberd's <c>include_sender</c> and Prosody's <c>push_notification_with_sender</c>: the notification
    /// travels through the app server and its vendor's push service, which need not learn who writes to whom.
    /// </summary>
    public bool IncludeSender { get; init; }

    /// <summary>
    /// Whether a notification carries the text of the message in <c>last-message-body</c>. Default false, as Prosody's
    /// <c>push_notification_with_body</c>: the body would leave the server for third parties. Clients that show message
    /// text fetch it over their own connection once woken (ejabberd's fixed "New message" text gives them nothing more).
    /// </summary>
    public bool IncludeBody { get; init; }

    /// <summary>
    /// Most registrations (app server and node pairs) one account may have; an enable request that would add one
    /// beyond it is refused with not-acceptable (re-enabling an existing pair is always allowed). Each registration
    /// costs a publish per waiting message. Default 10; from 1 to 1000.
    /// </summary>
    public int MaxRegistrationsPerUser { get; init; } = 10;

    /// <summary>Checks the settings; yields each problem with its key relative to <c>Modules:Push</c>.</summary>
    public IEnumerable<(string Key, string Problem)> Validate()
    {
        if (MaxRegistrationsPerUser is < 1 or > 1000)
        {
            yield return (nameof(MaxRegistrationsPerUser), "must be between 1 and 1000");
        }
    }
}
