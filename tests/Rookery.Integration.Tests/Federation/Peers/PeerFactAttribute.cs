using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// A fact that needs a real peer server (Debian's <c>prosody</c> or <c>ejabberd</c> package). Without it the test is
/// skipped, except in CI (<c>CI=true</c>), where a missing peer fails the run, as the slixmpp tests do.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PeerFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when <paramref name="peer"/> ("prosody" or "ejabberd") is missing outside CI.</summary>
    public PeerFactAttribute(string peer)
    {
        if (MissingPeer(peer) is { } reason && !InteropScript.IsCi)
        {
            Skip = reason + " (set CI=true to make this a failure)";
        }
    }

    /// <summary>Why <paramref name="peer"/> cannot run here, or null when it can.</summary>
    public static string? MissingPeer(string peer) => peer switch
    {
        "prosody" => ProsodyPeer.Missing,
        "ejabberd" => EjabberdPeer.Missing,
        _ => throw new ArgumentException($"Unknown peer '{peer}'", nameof(peer)),
    };
}
