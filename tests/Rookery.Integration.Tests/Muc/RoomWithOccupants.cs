using Rookery.TestKit;

namespace Rookery.Integration.Tests.Muc;

/// <summary>
/// The arrange step most MUC tests share: accounts created, clients logged in, the first user creates an instant room
/// (and owns it), the others join in order, each with its user name capitalised as nick ("alice" → "Alice").
/// </summary>
internal sealed class RoomWithOccupants : IAsyncDisposable
{
    private readonly Dictionary<string, RawXmppClient> _clients;

    private RoomWithOccupants(string room, Dictionary<string, RawXmppClient> clients)
    {
        Room = room;
        _clients = clients;
    }

    /// <summary>The room's bare JID.</summary>
    public string Room { get; }

    /// <summary>The logged-in client of <paramref name="user"/>.</summary>
    public RawXmppClient this[string user] => _clients[user];

    /// <summary>room@service/Nick of <paramref name="user"/>.</summary>
    public string Occupant(string user) => $"{Room}/{Nick(user)}";

    /// <summary>The nick a user joined with.</summary>
    public static string Nick(string user) => char.ToUpperInvariant(user[0]) + user[1..];

    /// <summary>Creates the users, logs them in, creates <paramref name="name"/> as an instant room of the first, and joins the others.</summary>
    public static async Task<RoomWithOccupants> CreateAsync(TestServer server, string name, params string[] users)
    {
        var clients = new Dictionary<string, RawXmppClient>(StringComparer.Ordinal);
        var room = server.Room(name);
        foreach (var user in users)
        {
            await server.CreateUserAsync(user);
            clients[user] = await server.LoginAsync(user);
        }

        await clients[users[0]].CreateInstantRoomAsync(room, Nick(users[0]));
        foreach (var user in users.Skip(1))
        {
            var self = await clients[user].JoinAsync(room, Nick(user));
            self.GetAttribute("type").Should().BeNull("{0} enters {1}: {2}", user, room, self);
        }

        return new RoomWithOccupants(room, clients);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            await client.DisposeAsync();
        }
    }
}
