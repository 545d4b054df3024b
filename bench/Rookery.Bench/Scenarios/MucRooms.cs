using System.Globalization;
using System.Text;
using Rookery.Bench.Net;

namespace Rookery.Bench.Scenarios;

/// <summary>
/// The rooms of the <c>muc</c> scenario (XEP-0045): user i enters room i mod R under its user name as nick, without
/// history. The first occupant of each room enters alone first; when the service answers with status 201 (a new,
/// locked room, §10.1.1) it accepts the default configuration (an instant room, §10.1.2) before the others enter.
/// Afterwards it knows, per room, the occupant count each groupchat message fans out to.
/// </summary>
internal sealed class MucRooms
{
    private const string MucNs = "http://jabber.org/protocol/muc";
    private readonly BenchOptions _options;
    private readonly string[] _roomJids;
    private readonly byte[][] _prefixes;
    private readonly int[] _occupants;
    private TaskCompletionSource<bool>?[] _joins = [];
    private byte[]?[] _ownOccupant = [];
    private bool[] _joined = [];
    private readonly TaskCompletionSource?[] _creates;
    private int _failures;
    private string? _firstError;

    /// <summary>Names the rooms: <c>--room-pattern</c> numbered from 0 at <c>--muc-service</c>.</summary>
    public MucRooms(BenchOptions options)
    {
        _options = options;
        var service = options.MucService ?? "conference." + options.Domain;
        _roomJids = new string[options.Rooms];
        _prefixes = new byte[options.Rooms][];
        _occupants = new int[options.Rooms];
        _creates = new TaskCompletionSource?[options.Rooms];
        for (var r = 0; r < options.Rooms; r++)
        {
            _roomJids[r] = string.Format(CultureInfo.InvariantCulture, options.RoomPattern, r) + "@" + service;
            _prefixes[r] = Encoding.UTF8.GetBytes($"<message to='{XmlSpan.Escape(_roomJids[r])}' type='groupchat'><body>");
        }
    }

    /// <summary>Occupants that could not enter.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>The first failure's reason.</summary>
    public string? FirstError => _firstError;

    /// <summary>Rooms in use.</summary>
    public int Rooms => _roomJids.Length;

    /// <summary>The room of connection <paramref name="index"/>.</summary>
    public int RoomOf(int index) => index % _roomJids.Length;

    /// <summary>Occupants of room <paramref name="room"/> that entered: what one of its groupchat messages fans out to.</summary>
    public int Occupants(int room) => _occupants[room];

    /// <summary>The pre-serialised start of a groupchat message to room <paramref name="room"/>, up to <c>&lt;body&gt;</c>.</summary>
    public byte[] Prefix(int room) => _prefixes[room];

    /// <summary>Whether connection <paramref name="index"/> is an occupant.</summary>
    public bool IsJoined(int index) => index < _joined.Length && _joined[index];

    /// <summary>Enters every online connection into its room, the first of each room first; returns when all are in or failed.</summary>
    public async Task JoinAllAsync(IReadOnlyList<BenchConnection?> connections, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connections);
        _joins = new TaskCompletionSource<bool>?[connections.Count];
        _ownOccupant = new byte[]?[connections.Count];
        _joined = new bool[connections.Count];
        var first = new BenchConnection?[Rooms];
        var rest = new List<BenchConnection>(connections.Count);
        foreach (var c in connections)
        {
            if (c is null)
            {
                continue;
            }

            var room = RoomOf(c.Index);
            if (first[room] is null)
            {
                first[room] = c;
            }
            else
            {
                rest.Add(c);
            }
        }

        // Creators first (all rooms at once), then everybody else, at most --concurrency entering at a time.
        await Task.WhenAll(first.Where(c => c is not null).Select(c => JoinOneAsync(c!, create: true, ct))).ConfigureAwait(false);
        using var gate = new SemaphoreSlim(_options.Concurrency);
        await Task.WhenAll(rest.Select(async c =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await JoinOneAsync(c, create: false, ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Takes the presence and iq stanzas of the join phase; true when the stanza was one of them.</summary>
    public bool OnStanza(BenchConnection connection, ReadOnlySpan<byte> stanza)
    {
        if (XmlSpan.IsNamed(stanza, "presence"u8))
        {
            var join = connection.Index < _joins.Length ? Volatile.Read(ref _joins[connection.Index]) : null;
            if (join is null || join.Task.IsCompleted || _ownOccupant[connection.Index] is not { } own
                || !XmlSpan.TryGetAttribute(stanza, "from"u8, out var from) || !from.SequenceEqual(own))
            {
                return true;
            }

            XmlSpan.TryGetAttribute(stanza, "type"u8, out var type);
            if (type.SequenceEqual("error"u8))
            {
                join.TrySetException(new XmppLoginException("muc-join:" + XmlSpan.ErrorCondition(stanza), $"The room refused {connection.User}: {XmlSpan.ErrorCondition(stanza)}"));
            }
            else if (!type.SequenceEqual("unavailable"u8))
            {
                // §7.2.3: the self-presence comes last in the entering sequence; status 201 says a new room was created.
                join.TrySetResult(stanza.IndexOf("code='201'"u8) >= 0 || stanza.IndexOf("code=\"201\""u8) >= 0);
            }

            return true;
        }

        if (XmlSpan.IsNamed(stanza, "iq"u8) && XmlSpan.TryGetAttribute(stanza, "id"u8, out var id) && id.StartsWith("bench-create-"u8))
        {
            var room = RoomOf(connection.Index);
            if (Volatile.Read(ref _creates[room]) is { } create)
            {
                XmlSpan.TryGetAttribute(stanza, "type"u8, out var type);
                if (type.SequenceEqual("result"u8))
                {
                    create.TrySetResult();
                }
                else
                {
                    create.TrySetException(new XmppLoginException("muc-create:" + XmlSpan.ErrorCondition(stanza), $"The service refused the instant room {_roomJids[room]}: {XmlSpan.ErrorCondition(stanza)}"));
                }
            }

            return true;
        }

        return false;
    }

    private async Task JoinOneAsync(BenchConnection c, bool create, CancellationToken ct)
    {
        var room = RoomOf(c.Index);
        var occupant = _roomJids[room] + "/" + c.User;
        _ownOccupant[c.Index] = Encoding.UTF8.GetBytes(XmlSpan.Escape(occupant));
        var join = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _joins[c.Index], join);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.LoginTimeout);
        try
        {
            c.Enqueue(Encoding.UTF8.GetBytes($"<presence to='{XmlSpan.Escape(occupant)}'><x xmlns='{MucNs}'><history maxstanzas='0'/></x></presence>"));
            c.Flush();
            var created = await join.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            if (create && created)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _creates[room], done);
                c.Enqueue(Encoding.UTF8.GetBytes(
                    $"<iq type='set' id='bench-create-{room}' to='{XmlSpan.Escape(_roomJids[room])}'><query xmlns='{MucNs}#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"));
                c.Flush();
                await done.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }

            _joined[c.Index] = true;
            Interlocked.Increment(ref _occupants[room]);
        }
        catch (Exception e)
        {
            var reason = e is OperationCanceledException ? $"{c.User}: no self-presence from {_roomJids[room]} within {_options.LoginTimeout.TotalSeconds} s" : $"{c.User}: {e.Message}";
            Interlocked.Increment(ref _failures);
            Interlocked.CompareExchange(ref _firstError, reason, null);
        }
    }
}
