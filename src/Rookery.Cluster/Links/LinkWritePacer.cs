using System.Diagnostics;

namespace Rookery.Cluster.Links;

/// <summary>
/// The node's one thread that starts the node links' paced writes (<see cref="NodeLink.WriteInterval"/>): a link whose
/// next burst must wait until the interval after its previous write is handed here with that moment, and this thread
/// sleeps until it (<see cref="PreciseSleep"/>, so a sub-millisecond interval is kept: a timer would count whole
/// milliseconds and add one or two to every forwarded stanza) and writes the burst itself. The write does not block:
/// what the kernel does not take at once continues on the thread pool. The thread sleeps on an event while no link
/// waits, so an idle node costs nothing.
/// </summary>
internal sealed class LinkWritePacer : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<(NodeLink Link, long Due)> _waiting = []; // a handful of links: a list, scanned
    private readonly List<NodeLink> _ready = []; // owned by the pacer thread
    private readonly AutoResetEvent _scheduled = new(false);
    private readonly Thread _thread;
    private volatile bool _stopped;

    /// <summary>Creates the pacer; its thread starts with the first link handed to it.</summary>
    public LinkWritePacer(TimeSpan interval)
    {
        Interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "rookery-link-pacer" };
    }

    /// <summary>The shortest time between the starts of two writes on one link.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Has <paramref name="link"/>'s writer run at <paramref name="due"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Schedule(NodeLink link, long due)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            if ((_thread.ThreadState & System.Threading.ThreadState.Unstarted) != 0)
            {
                _thread.Start();
            }

            _waiting.Add((link, due));
        }

        _scheduled.Set();
    }

    /// <summary>Stops the thread; links still waiting are written no more (their node is stopping).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _waiting.Clear();
        }

        _scheduled.Set();
        if ((_thread.ThreadState & System.Threading.ThreadState.Unstarted) == 0)
        {
            _thread.Join();
        }

        _scheduled.Dispose();
    }

    private void Run()
    {
        while (!_stopped)
        {
            var next = long.MaxValue;
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                for (var i = _waiting.Count - 1; i >= 0; i--)
                {
                    var (link, due) = _waiting[i];
                    if (due <= now)
                    {
                        _ready.Add(link);
                        _waiting.RemoveAt(i);
                    }
                    else
                    {
                        next = Math.Min(next, due);
                    }
                }
            }

            // In the order they were scheduled (the scan ran backwards).
            for (var i = _ready.Count - 1; i >= 0; i--)
            {
                _ready[i].WriteQueued();
            }

            _ready.Clear();
            if (next == long.MaxValue)
            {
                _scheduled.WaitOne();
            }
            else
            {
                // Not woken by a link scheduled meanwhile: every link's due time is its previous write plus the same
                // interval, so one scheduled later is rarely due sooner, and then by less than an interval.
                PreciseSleep.Sleep(Stopwatch.GetElapsedTime(now, next));
            }
        }
    }
}
