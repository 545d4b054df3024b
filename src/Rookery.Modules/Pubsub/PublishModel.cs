namespace Rookery.Modules.Pubsub;

/// <summary>Who may publish to a node (XEP-0060 §16.4, <c>pubsub#publish_model</c>).</summary>
public enum PublishModel
{
    /// <summary>Owners, publishers and publish-only affiliates; the default.</summary>
    Publishers,

    /// <summary>Those, plus anyone subscribed to the node.</summary>
    Subscribers,

    /// <summary>Anyone who is not an outcast.</summary>
    Open,
}
