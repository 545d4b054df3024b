namespace Rookery.Bench;

/// <summary>The load patterns the bench runs.</summary>
internal enum Scenario
{
    /// <summary>N users log in as fast as the server lets them; logins/s, failures, time to all-online.</summary>
    Login,

    /// <summary>N authenticated connections held open; server memory per connection.</summary>
    Idle,

    /// <summary>Online users send chat messages to random online peers at a stepped-up aggregate rate.</summary>
    Messaging,

    /// <summary>Messaging with senders on one list of nodes and receivers on another.</summary>
    CrossNode,

    /// <summary>Users enter R rooms (XEP-0045) and send groupchat messages at a stepped-up rate; each fans out to every occupant.</summary>
    Muc,
}
