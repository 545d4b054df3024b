namespace Rookery.Modules.Pubsub;

/// <summary>Who may create nodes on a host's publish-subscribe service (<c>Modules:Pubsub:NodeCreation</c>).</summary>
public enum NodeCreation
{
    /// <summary>Every account of the host (not anonymous ones, not users of other servers); the default.</summary>
    Users,

    /// <summary>Only the host's admins (<c>Hosts:&lt;domain&gt;:Admins</c> and the global admins).</summary>
    Admins,
}
