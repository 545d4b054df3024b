using System.Globalization;
using System.Text;
using Rookery.Bench.Metrics;

namespace Rookery.Bench.Reporting;

/// <summary>Renders a <see cref="BenchResult"/> as Markdown tables for the terminal and docs/benchmarks.md.</summary>
internal static class MarkdownReport
{
    /// <summary>The whole report.</summary>
    public static string Render(BenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"### rookery-bench {r.Scenario}{(r.Smoke ? " (smoke)" : string.Empty)}\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"{r.Users} users, {r.Targets}{(r.ReceiverTargets is null ? string.Empty : " → " + r.ReceiverTargets)}, domain {r.Domain}, {(r.Tls ? "STARTTLS" : "no TLS")}, {r.Mechanism}; {r.Machine}\n\n");
        sb.Append("| metric | value |\n|---|---|\n");
        if (r.Provision is { } p)
        {
            Row(sb, $"provisioning ({p.Method})", $"{p.Created} created, {p.Existing} existing, {p.Failed} failed in {F(p.Seconds)} s{(p.Output is null ? string.Empty : " (" + p.Output + ")")}");
        }

        if (r.Login is { } l)
        {
            Row(sb, "logins succeeded / attempted", $"{l.Succeeded} / {l.Attempted}");
            Row(sb, "time to all online", $"{F(l.SecondsToAllOnline)} s");
            Row(sb, "logins/s", F(l.LoginsPerSecond, 0));
            Row(sb, "login time p50 / p99 / max", Lat(l.Latency, p90: false));
            if (l.Failed > 0)
            {
                Row(sb, "login failures", string.Join(", ", l.FailureReasons.Select(kv => $"{kv.Key}: {kv.Value}")) + (l.FirstError is null ? string.Empty : $" (first: {l.FirstError})"));
            }

            Row(sb, "SCRAM keys derived by the bench", l.ScramKeysDerived.ToString(CultureInfo.InvariantCulture));
            Row(sb, "login phase CPU: bench / server", $"{F(l.BenchCpuSeconds)} s / {(l.ServerCpuSeconds is { } s ? F(s) + " s" : "n/a")}");
        }

        if (r.Idle is { } i)
        {
            Row(sb, "connections held", $"{i.Connections} for {F(i.HeldSeconds)} s, {i.Dropped} dropped");
            Row(sb, "server RSS before / online / after hold", $"{Kib(i.RssBeforeKiB)} / {Kib(i.RssOnlineKiB)} / {Kib(i.RssAfterHoldKiB)}");
            Row(sb, "server memory per connection", i.BytesPerConnection is { } b ? $"{F(b / 1024.0)} KiB" : "n/a (no --server-pid)");
            Row(sb, "server CPU while held", i.ServerCpuPercentWhileHeld is { } c ? $"{F(c)} %" : "n/a");
        }

        if (r.Messaging is { } m)
        {
            Row(sb, "senders / receivers", $"{m.Senders} / {m.Receivers}");
            if (m.Rooms is { } rooms)
            {
                Row(sb, "rooms / occupants that could not enter", $"{rooms} / {m.JoinFailures}");
                Row(sb, "fan-out deliveries expected", (m.ExpectedDeliveries ?? 0).ToString(CultureInfo.InvariantCulture));
            }

            Row(sb, "max sustained rate", $"{m.MaxSustainedRate.ToString("N0", CultureInfo.InvariantCulture)} msg/s");
            Row(sb, "stopped because", m.StopReason);
            Row(sb, "sent / delivered / errors / lost", $"{m.Sent} / {m.Delivered} / {m.Errors} / {m.Lost}");
            if (m.Replayed > 0)
            {
                Row(sb, "earlier runs' messages received (not counted)", m.Replayed.ToString(CultureInfo.InvariantCulture));
            }
            if (m.Latency is { } lat)
            {
                Row(sb, "latency p50 / p90 / p99 / max (all steps)", Lat(lat, p90: true));
            }

            Row(sb, "dropped connections", m.Dropped.ToString(CultureInfo.InvariantCulture));
            Row(sb, "bench CPU per message (send + receive)", $"{F(m.BenchMicrosecondsPerMessage, 2)} µs → {m.MessagesPerBenchCoreSecond.ToString("N0", CultureInfo.InvariantCulture)} msg/s per bench core");
            Row(sb, "bench allocations per message / gen0 GCs", $"{F(m.BenchAllocatedBytesPerMessage, 1)} B / {m.BenchGen0Collections}");
        }

        Row(sb, "bench CPU (whole run)", $"{F(r.BenchCpuSeconds)} s over {F(r.WallSeconds)} s = {F(r.BenchCpuPercent)} % of a core");
        if (r.Server is { } srv)
        {
            Row(sb, $"server (pid {srv.Pid}) CPU", srv.CpuSeconds is { } cs ? $"{F(cs)} s = {F(srv.CpuPercent ?? 0)} % of a core" : "n/a");
            Row(sb, "server RSS before / after", $"{Kib(srv.RssBeforeKiB)} / {Kib(srv.RssAfterKiB)}");
        }

        Row(sb, "result", r.Clean ? "clean" : "NOT CLEAN: " + string.Join("; ", r.Problems));

        if (r.Messaging is { Steps.Count: > 0 } ms)
        {
            sb.Append("\n| offered/s | sent/s | delivered/s | p50 ms | p90 ms | p99 ms | max ms | errors | bench CPU | server CPU | verdict |\n");
            sb.Append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
            foreach (var s in ms.Steps)
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"| {s.OfferedRate:N0} | {s.SentRate:N0} | {s.DeliveredRate:N0} | {F(s.Latency.P50Ms, 2)} | {F(s.Latency.P90Ms, 2)} | {F(s.Latency.P99Ms, 2)} | {F(s.Latency.MaxMs, 2)} | {s.Errors} | {F(s.BenchCpuPercent)} % | {(s.ServerCpuPercent is { } sc ? F(sc) + " %" : "n/a")} | {s.Verdict} |\n");
            }
        }

        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string metric, string value) => sb.Append(CultureInfo.InvariantCulture, $"| {metric} | {value} |\n");

    private static string Lat(LatencySummary l, bool p90) => p90
        ? $"{F(l.P50Ms, 2)} / {F(l.P90Ms, 2)} / {F(l.P99Ms, 2)} / {F(l.MaxMs, 2)} ms"
        : $"{F(l.P50Ms, 1)} / {F(l.P99Ms, 1)} / {F(l.MaxMs, 1)} ms";

    private static string Kib(long? kib) => kib is { } k ? $"{F(k / 1024.0)} MiB" : "n/a";

    private static string F(double v, int digits = 1) => v.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
