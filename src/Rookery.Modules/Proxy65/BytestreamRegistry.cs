namespace Rookery.Modules.Proxy65;

/// <summary>
/// The bytestreams of this node's proxy, by hash: at most two connections per hash, activation only when both are
/// connected. Each node of a cluster has its own: a stream exists on the node whose proxy port its parties connected to.
/// </summary>
public sealed class BytestreamRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BytestreamPair> _pairs = new(StringComparer.Ordinal);

    /// <summary>The streams with at least one connection, waiting or relaying.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pairs.Count;
            }
        }
    }

    /// <summary>
    /// Activates the stream <paramref name="hash"/> (XEP-0065 §6.3.5): both connections must be connected and have had
    /// their success reply. The caller has checked that the requester may use the proxy; the hash itself proves that the
    /// request comes from the requester named in it.
    /// </summary>
    /// <remarks>
    /// A requester sends its activation as soon as it reads its success reply, which can overtake the proxy's own note
    /// that the reply went out. So when both parties are connected and a reply is still being flushed, the activation
    /// waits for it (at most <paramref name="readyWait"/>) instead of being refused for a party that is there.
    /// </remarks>
    public async ValueTask<ActivationOutcome> ActivateAsync(string hash, TimeSpan readyWait, CancellationToken ct = default)
    {
        var outcome = TryActivate(hash, out var flushing);
        if (flushing is null)
        {
            return outcome;
        }

        try
        {
            await flushing.WaitAsync(readyWait, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return ActivationOutcome.OnlyOneConnected;
        }

        return TryActivate(hash, out _);
    }

    /// <summary>
    /// Activates the stream if both connections are ready; otherwise says why not, with <paramref name="flushing"/> set to
    /// what completes when both are ready if both are connected and only a success reply is still on its way.
    /// </summary>
    private ActivationOutcome TryActivate(string hash, out Task? flushing)
    {
        flushing = null;
        BytestreamPair pair;
        lock (_lock)
        {
            if (!_pairs.TryGetValue(hash, out pair!))
            {
                return ActivationOutcome.NotFound;
            }

            if (pair.IsActive)
            {
                return ActivationOutcome.AlreadyActive;
            }

            if (pair.Initiator is not { } initiator)
            {
                return ActivationOutcome.OnlyOneConnected;
            }

            if (!pair.Target.IsReady || !initiator.IsReady)
            {
                flushing = Task.WhenAll(pair.Target.Ready, initiator.Ready);
                return ActivationOutcome.OnlyOneConnected;
            }

            pair.IsActive = true;
        }

        pair.Target.Activate();
        pair.Initiator.Activate();
        return ActivationOutcome.Activated;
    }

    /// <summary>Adds a connection to its stream: the first or the second; null when the stream has two already.</summary>
    internal BytestreamPair? Join(ProxiedConnection connection)
    {
        lock (_lock)
        {
            if (!_pairs.TryGetValue(connection.Hash, out var pair))
            {
                pair = new BytestreamPair(connection);
                _pairs.Add(connection.Hash, pair);
                return pair;
            }

            if (pair.Initiator is not null || pair.IsActive)
            {
                return null;
            }

            pair.Initiator = connection;
            return pair;
        }
    }

    /// <summary>Marks a joined connection as ready for activation: its success reply has been flushed.</summary>
    internal void MarkReady(ProxiedConnection connection)
    {
        lock (_lock)
        {
            connection.MarkReady();
        }
    }

    /// <summary>
    /// Takes a connection out of its stream before activation (it closed, timed out, or the node stops). False when the
    /// stream was activated first: then the connection must relay, as its peer and the requester expect.
    /// </summary>
    internal bool TryLeave(ProxiedConnection connection)
    {
        lock (_lock)
        {
            if (!_pairs.TryGetValue(connection.Hash, out var pair))
            {
                return true;
            }

            if (pair.IsActive)
            {
                return false;
            }

            if (ReferenceEquals(pair.Initiator, connection))
            {
                pair.Initiator = null;
            }
            else if (ReferenceEquals(pair.Target, connection))
            {
                if (pair.Initiator is { } second)
                {
                    // The second connection becomes the first: a pair always has its first.
                    pair.Target = second;
                    pair.Initiator = null;
                }
                else
                {
                    _pairs.Remove(connection.Hash);
                }
            }

            return true;
        }
    }

    /// <summary>Forgets an active stream whose relays have both stopped.</summary>
    internal void Remove(BytestreamPair pair)
    {
        lock (_lock)
        {
            if (_pairs.TryGetValue(pair.Hash, out var current) && ReferenceEquals(current, pair))
            {
                _pairs.Remove(pair.Hash);
            }
        }
    }
}
