namespace Rookery.Storage;

/// <summary>
/// One push registration (XEP-0357 §5): an account asked that notifications be published to a node of an app server's
/// XMPP Push Service.
/// </summary>
/// <param name="Owner">The account's bare JID.</param>
/// <param name="Service">The JID of the app server's XMPP Push Service (the enable request's <c>jid</c>).</param>
/// <param name="Node">The node provisioned by the app server (the enable request's <c>node</c>); empty when none was given.</param>
/// <param name="PublishOptions">
/// The <c>http://jabber.org/protocol/pubsub#publish-options</c> data form of the enable request as XML, sent with every
/// notification; null when the request had none.
/// </param>
/// <param name="Resource">The resource of the session that enabled it.</param>
/// <param name="Enabled">When it was enabled (or last enabled again).</param>
public sealed record PushRegistration(string Owner, string Service, string Node, string? PublishOptions, string Resource, DateTimeOffset Enabled);
