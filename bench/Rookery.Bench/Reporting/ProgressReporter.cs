namespace Rookery.Bench.Reporting;

/// <summary>
/// Prints a status line once a second while a phase runs: overwritten in place with '\r' on a terminal, one line per
/// update when the output is redirected (CI logs).
/// </summary>
internal sealed class ProgressReporter : IAsyncDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _overwrite;
    private readonly Func<string> _render;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _lastLength;

    /// <summary>Starts printing <paramref name="render"/>'s line every <paramref name="interval"/>.</summary>
    public ProgressReporter(TextWriter writer, bool overwrite, TimeSpan interval, Func<string> render)
    {
        _writer = writer;
        _overwrite = overwrite;
        _render = render;
        _loop = RunAsync(interval);
    }

    /// <summary>Prints the final line and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        Print();
        if (_overwrite)
        {
            await _writer.WriteLineAsync().ConfigureAwait(false);
        }

        await _writer.FlushAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            Print();
        }
    }

    private void Print()
    {
        var line = _render();
        if (_overwrite)
        {
            var pad = Math.Max(0, _lastLength - line.Length);
            _writer.Write("\r" + line + new string(' ', pad));
            _lastLength = line.Length;
        }
        else
        {
            _writer.WriteLine(line);
        }

        _writer.Flush();
    }
}
