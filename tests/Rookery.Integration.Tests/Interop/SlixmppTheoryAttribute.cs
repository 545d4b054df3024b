namespace Rookery.Integration.Tests.Interop;

/// <summary>
/// A theory that needs Debian's python3-slixmpp, skipped (or, with CI=true, failed) on the same terms as
/// <see cref="SlixmppFactAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SlixmppTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when slixmpp is unavailable outside CI.</summary>
    public SlixmppTheoryAttribute()
    {
        if (SlixmppFactAttribute.Missing is { } reason && !SlixmppFactAttribute.IsCi)
        {
            Skip = reason + " (set CI=true to make this a failure)";
        }
    }
}
