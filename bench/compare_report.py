#!/usr/bin/env python3
"""Turns the JSON results of bench/compare.sh into one Markdown table per scenario, servers side by side.

Usage: compare_report.py WORK "rookery prosody ejabberd" "login-plain login-scram idle messaging muc"
The last column is Rookery's ratio to the best of the other servers, written so that > 1 means Rookery is better
(for lower-is-better figures it is best-other / Rookery).
"""
import json
import os
import sys

TITLES = {
    "login-plain": "Login storm, SASL PLAIN (no TLS)",
    "login-scram": "Login storm, SCRAM-SHA-1 (no TLS, 4096 iterations)",
    "idle": "Idle connections (no TLS)",
    "messaging": "One-to-one messaging (no TLS, 64-byte-class bodies, random peers)",
    "muc": "MUC groupchat fan-out",
}


def load(work, server, scenario):
    path = os.path.join(work, f"{server}-{scenario}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def login_rows(r):
    l = r.get("login") or {}
    ok = l.get("succeeded", 0)
    cpu = l.get("serverCpuSeconds")
    return [
        ("logins/s", l.get("loginsPerSecond"), True, "{:,.0f}"),
        ("time to all online, s", l.get("secondsToAllOnline"), False, "{:.2f}"),
        ("login p99, ms", (l.get("latency") or {}).get("p99Ms"), False, "{:.1f}"),
        ("server CPU per login, ms", cpu * 1000 / ok if cpu is not None and ok else None, False, "{:.2f}"),
        ("failed logins", l.get("failed"), None, "{}"),
    ]


def idle_rows(r):
    i = r.get("idle") or {}
    b = i.get("bytesPerConnection")
    return [
        ("connections held", i.get("connections"), None, "{:,}"),
        ("server RSS per connection, KiB", b / 1024 if b is not None else None, False, "{:.1f}"),
        ("server RSS before → online, MiB", (i.get("rssBeforeKiB"), i.get("rssOnlineKiB")), None, "pair"),
        ("dropped", i.get("dropped"), None, "{}"),
        # Projection, not a measurement: the process's RSS before the run plus the measured cost per connection.
        ("projected RSS at 1,000,000 connections, GiB",
         (i.get("rssBeforeKiB") * 1024 + b * 1_000_000) / 2**30 if b is not None and i.get("rssBeforeKiB") is not None else None, False, "{:.1f}"),
    ]


def step_at(steps, rate):
    for s in steps:
        if s.get("offeredRate") == rate:
            return s
    return None


def half_step(steps, max_rate):
    """The sustained step closest to half of the maximum sustained rate."""
    best = None
    for s in steps:
        if not s.get("sustained"):
            continue
        if best is None or abs(s["offeredRate"] - max_rate / 2) < abs(best["offeredRate"] - max_rate / 2):
            best = s
    return best


def messaging_rows(r, muc):
    m = r.get("messaging") or {}
    steps = m.get("steps") or []
    mx = m.get("maxSustainedRate", 0)
    top = step_at(steps, mx)
    half = half_step(steps, mx)
    delivered = top.get("deliveredRate") if top else None
    cpu = top.get("serverCpuPercent") if top else None
    per = cpu / 100 / delivered * 1e6 if cpu is not None and delivered else None
    rows = []
    if muc:
        rows += [
            ("occupants / rooms", (m.get("senders"), m.get("rooms")), None, "pair-plain"),
            ("max sustained groupchat msg/s", mx, True, "{:,}"),
            ("fan-out deliveries/s at that rate", delivered, True, "{:,.0f}"),
        ]
    else:
        rows += [("max sustained msg/s (delivered)", delivered if delivered is not None else 0, True, "{:,.0f}")]
    rows += [
        ("p99 at max sustained, ms", (top.get("latency") or {}).get("p99Ms") if top else None, False, "{:.2f}"),
        ("p99 at ~half of max, ms", (half.get("latency") or {}).get("p99Ms") if half else None, False, "{:.2f}"),
        ("server CPU at max sustained", cpu, None, "{:.0f} %"),
        (("server CPU per delivery, µs" if muc else "server CPU per message, µs"), per, False, "{:.1f}"),
        ("stopped because", m.get("stopReason"), None, "text"),
        ("lost (of " + ("owed deliveries" if muc else "sent") + "); negative: duplicates", m.get("lost"), None, "{}"),
    ]
    return rows


def fmt(value, style):
    if value is None:
        return "n/a"
    if style == "text":
        return str(value).replace("|", "/")
    if style == "pair":
        a, b = value
        return "n/a" if a is None or b is None else f"{a / 1024:.1f} → {b / 1024:.1f}"
    if style == "pair-plain":
        a, b = value
        return f"{a} / {b}"
    return style.format(value)


def main():
    work, servers, scenarios = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    others = [s for s in servers if s != "rookery"]
    for sc in scenarios:
        results = {s: load(work, s, sc) for s in servers}
        print(f"### {TITLES.get(sc, sc)}")
        print()
        sample = next((r for r in results.values() if r), None)
        if sample is None:
            print("No results.\n")
            continue
        print(f"{sample.get('users')} users.")
        print()
        header = "| | " + " | ".join(servers) + (" | Rookery ÷ best other |" if "rookery" in servers and others else " |")
        print(header)
        print("|---|" + "---:|" * len(servers) + ("---:|" if "rookery" in servers and others else ""))
        rows_by_server = {}
        for s, r in results.items():
            if r is None:
                continue
            if sc.startswith("login"):
                rows_by_server[s] = login_rows(r)
            elif sc == "idle":
                rows_by_server[s] = idle_rows(r)
            else:
                rows_by_server[s] = messaging_rows(r, sc == "muc")
        template = next(iter(rows_by_server.values()))
        for index, (label, _, higher_better, style) in enumerate(template):
            cells = []
            values = {}
            for s in servers:
                rows = rows_by_server.get(s)
                if rows is None:
                    cells.append("not run")
                    continue
                v = rows[index][1]
                values[s] = v
                cells.append(fmt(v, style))
            ratio = ""
            if "rookery" in servers and others:
                ratio = " "
                rv = values.get("rookery")
                ov = [values.get(o) for o in others if isinstance(values.get(o), (int, float)) and values.get(o)]
                if higher_better is not None and isinstance(rv, (int, float)) and rv and ov:
                    best = max(ov) if higher_better else min(ov)
                    ratio = f" {rv / best:.2f}× " if higher_better else f" {best / rv:.2f}× "
                ratio = "|" + ratio + "|"
            else:
                ratio = " |"
            print(f"| {label} | " + " | ".join(cells) + " " + ratio)
        clean = [s for s, r in results.items() if r is not None and not r.get("clean")]
        print()
        if clean:
            for s in clean:
                print(f"* {s}: not clean — " + "; ".join(results[s].get("problems") or []))
            print()

    extra = load(work, "rookery", "login-scram256")
    if extra is not None:
        l = extra.get("login") or {}
        cpu = l.get("serverCpuSeconds")
        ok = l.get("succeeded", 0)
        print("### Rookery alone: login storm, SCRAM-SHA-256")
        print()
        print(f"{extra.get('users')} users: **{l.get('loginsPerSecond', 0):,.0f} logins/s**, all online in {l.get('secondsToAllOnline')} s, "
              f"p99 {(l.get('latency') or {}).get('p99Ms')} ms, "
              + (f"{cpu * 1000 / ok:.2f} ms server CPU per login" if cpu is not None and ok else "server CPU n/a")
              + f", {l.get('failed', 0)} failed. (Prosody 0.12 keeps SHA-1 keys only, so this row has no peers.)")
        print()


if __name__ == "__main__":
    main()
