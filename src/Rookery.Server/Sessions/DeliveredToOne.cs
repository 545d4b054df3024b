using System.Collections;

namespace Rookery.Server.Sessions;

/// <summary>
/// The one resource a message to a full JID was delivered to, as the list the delivered-message hooks take, reused per
/// thread so that telling the hooks allocates nothing per message (issue #6). Valid only during the hooks' call.
/// </summary>
internal sealed class DeliveredToOne : IReadOnlyList<IClientSession>
{
    [ThreadStatic]
    private static DeliveredToOne? t_spare;

    private IClientSession? _session;

    /// <inheritdoc />
    public int Count => 1;

    /// <inheritdoc />
    public IClientSession this[int index] => index == 0 ? _session! : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>A list holding <paramref name="session"/>, to be given back with <see cref="Return"/>.</summary>
    public static DeliveredToOne Rent(IClientSession session)
    {
        var list = t_spare ?? new DeliveredToOne();
        t_spare = null;
        list._session = session;
        return list;
    }

    /// <summary>Gives back a rented list; it must not be used afterwards.</summary>
    public static void Return(DeliveredToOne list)
    {
        list._session = null;
        t_spare ??= list;
    }

    /// <inheritdoc />
    public IEnumerator<IClientSession> GetEnumerator()
    {
        yield return _session!;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
