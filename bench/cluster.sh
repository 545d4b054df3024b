#!/usr/bin/env bash
# bench/cluster.sh — same-node vs cross-node messaging on a real two-node Rookery cluster (issues #4 and #6).
#
# Starts two `rookery run` processes on one PostgreSQL database (a schema of their own, dropped at the end), both pinned
# to core 1 so that the cluster has the same one core the single-node runs have, and the bench on core 0. Runs
#   1. messaging  — every user on node a (same-node delivery), rate stepped up until it is not sustained;
#   2. cross-node — senders on node a, receivers on node b, stepped up the same way;
#   3. both again at a constant rate of half of each one's maximum, for the p99 latency target.
# Targets (issue #4): cross-node throughput >= 70 % of same-node; cross-node p99 < 5 ms at half the maximum rate.
#
# Usage: bench/cluster.sh [--quick] [--no-docs]
# Environment: CLUSTER_PG (Npgsql connection string; default the local test database), USERS, RATE_START, RATE_STEP,
#   RATE_GROWTH (percent per step, as in compare.sh, so the maximum is found before MAX_DURATION), STEP_DURATION,
#   MAX_DURATION, HALF_DURATION, COMPARE_ROOKERY_DLL, COMPARE_BENCH_DLL, CLUSTER_WORK, NODE_B_CORE (the core node b is
#   pinned to; default 1, the same as node a: set it to 0 to see what the two nodes sharing one core costs), NODE_SCHED
#   (normal, the default, or batch: both nodes under SCHED_BATCH, no wake-up preemption between them on the shared core),
#   CLUSTER_HOOK (a command started in the background as each phase's bench starts, with the phase name, node a's PID,
#   node b's PID and the work directory as arguments, and waited for after the bench ends: e.g. a `perf stat -p` of
#   both nodes at a fixed rate; unset by default)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
WRITE_DOCS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; WRITE_DOCS=0; shift ;;
        --no-docs) WRITE_DOCS=0; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "cluster.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

: "${CLUSTER_PG:=Host=127.0.0.1;Username=rookery;Password=rookery;Database=rookery}"
if [ "$QUICK" = 1 ]; then
    : "${USERS:=10}" "${RATE_START:=200}" "${RATE_STEP:=200}" "${RATE_GROWTH:=0}" "${STEP_DURATION:=1s}" "${MAX_DURATION:=3s}" "${HALF_DURATION:=2s}"
else
    : "${USERS:=200}" "${RATE_START:=4000}" "${RATE_STEP:=0}" "${RATE_GROWTH:=20}" "${STEP_DURATION:=4s}" "${MAX_DURATION:=120s}" "${HALF_DURATION:=10s}"
fi
WORK="${CLUSTER_WORK:-$(mktemp -d /tmp/rookery-cluster-bench.XXXXXX)}"
mkdir -p "$WORK"
SCHEMA="bench_cluster_$$"
SECRET="bench-cluster-secret-$$-$RANDOM"
log() { printf '[cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

RK_DLL="${COMPARE_ROOKERY_DLL:-}"
BN_DLL="${COMPARE_BENCH_DLL:-}"
if [ -z "$RK_DLL" ] || [ -z "$BN_DLL" ]; then
    log "building Rookery and rookery-bench (Release)"
    dotnet build "$ROOT/src/Rookery" -c Release -nologo -v q >"$WORK/build-rookery.log" 2>&1 || { echo "cluster.sh: build failed, see $WORK/build-rookery.log" >&2; exit 2; }
    dotnet build "$ROOT/bench/Rookery.Bench" -c Release -nologo -v q >"$WORK/build-bench.log" 2>&1 || { echo "cluster.sh: build failed, see $WORK/build-bench.log" >&2; exit 2; }
fi
RK_DLL="${RK_DLL:-$ROOT/src/Rookery/bin/Release/net10.0/rookery.dll}"
BN_DLL="${BN_DLL:-$ROOT/bench/Rookery.Bench/bin/Release/net10.0/rookery-bench.dll}"

pg_value() { echo "$CLUSTER_PG" | tr ';' '\n' | awk -F= -v k="$1" 'tolower($1)==tolower(k){print $2}'; }
psql_run() {
    PGPASSWORD="$(pg_value Password)" psql -q -h "$(pg_value Host)" -U "$(pg_value Username)" -d "$(pg_value Database)" -v ON_ERROR_STOP=1 -c "$1" >/dev/null
}
psql_run "SELECT 1" 2>"$WORK/psql.err" || { echo "cluster.sh: PostgreSQL is not reachable with CLUSTER_PG ($(cat "$WORK/psql.err"))" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
declare -A CPORT LPORT PID
STARTED=""
cleanup() {
    local code=$?
    for p in $STARTED; do kill "$p" 2>/dev/null || true; done
    for p in $STARTED; do
        for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    psql_run "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" 2>/dev/null || true
    [ $code -ne 0 ] && log "failed (exit $code); logs and JSON in $WORK"
    exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in a b; do
    mkdir -p "$WORK/$n"
    CPORT[$n]=$(free_port); LPORT[$n]=$(free_port)
    python3 - "$WORK/$n/rookery.json" "$n" "${CPORT[$n]}" "${LPORT[$n]}" "$CLUSTER_PG" "$SCHEMA" "$SECRET" "$WORK/$n/data" <<'PY'
import json, sys
path, name, cport, lport, pg, schema, secret, data = sys.argv[1:]
json.dump({
    "DataDirectory": data,
    "Hosts": {"localhost": {}},
    "Listeners": {"Client": {"Address": "127.0.0.1", "Port": int(cport)}, "DirectTls": {"Enabled": False}, "Http": {"Enabled": False}},
    "Storage": {"Provider": "postgres", "Postgres": {"ConnectionString": pg, "Schema": schema}},
    "Cluster": {"Enabled": True, "Secret": secret, "Port": int(lport), "Address": "127.0.0.1", "AdvertisedAddress": "127.0.0.1", "NodeName": name},
    "S2S": {"Enabled": False},
    "Limits": {"MaxOutboundQueue": 100000},
    # Archiving off, as in compare.sh: with MAM on every chat message is two PostgreSQL inserts on the routing path,
    # and the run would measure the database instead of the node links.
    "DisabledModules": ["mam"],
    "Logging": {"LogLevel": {"Default": "Warning"}},
}, open(path, "w"), indent=2)
PY
done

log "provisioning $USERS users (rookery user add-range on the shared database)"
dotnet "$RK_DLL" user add-range 'bench{0}@localhost' --count "$USERS" --password pw --config "$WORK/a/rookery.json" >"$WORK/provision.log" 2>&1 \
    || { echo "cluster.sh: provisioning failed: $(tail -1 "$WORK/provision.log")" >&2; exit 1; }

declare -A CORE=([a]=1 [b]="${NODE_B_CORE:-1}")
# NODE_SCHED=batch runs the nodes under SCHED_BATCH: a waking thread of one node then does not preempt the other node
# on the shared core (the kernel's wake-up preemption), so the two processes hand work over in time slices rather
# than a context switch per forwarded message.
SCHED=()
case "${NODE_SCHED:-normal}" in
    normal) ;;
    batch) SCHED=(chrt --batch 0) ;;
    *) echo "cluster.sh: NODE_SCHED must be normal or batch, not '$NODE_SCHED'" >&2; exit 2 ;;
esac
for n in a b; do
    (cd "$WORK/$n" && exec nice -n -10 taskset -c "${CORE[$n]}" "${SCHED[@]}" dotnet "$RK_DLL" run --config "$WORK/$n/rookery.json" >"$WORK/$n/rookery.log" 2>&1) &
    PID[$n]=$!; STARTED="$STARTED ${PID[$n]}"
done
for n in a b; do
    ok=0
    for _ in $(seq 1 600); do
        kill -0 "${PID[$n]}" 2>/dev/null || { echo "cluster.sh: node $n exited; see $WORK/$n/rookery.log" >&2; exit 1; }
        if (exec 3<>"/dev/tcp/127.0.0.1/${CPORT[$n]}") 2>/dev/null; then ok=1; break; fi
        sleep 0.1
    done
    [ $ok = 1 ] || { echo "cluster.sh: node $n did not open its client port" >&2; exit 1; }
done
# Wait until the nodes have linked: the status verb lists the peer's link as up.
for _ in $(seq 1 120); do
    if dotnet "$RK_DLL" cluster status --config "$WORK/a/rookery.json" 2>/dev/null | grep -q "b=up\|a=up"; then break; fi
    sleep 0.5
done
dotnet "$RK_DLL" cluster status --config "$WORK/a/rookery.json" >"$WORK/status.txt" 2>&1 || true
log "nodes up: a=${CPORT[a]} (pid ${PID[a]}), b=${CPORT[b]} (pid ${PID[b]})"

psql_value() {
    PGPASSWORD="$(pg_value Password)" psql -qAt -h "$(pg_value Host)" -U "$(pg_value Username)" -d "$(pg_value Database)" -v ON_ERROR_STOP=1 -c "$1"
}
settle_offline() { # name: waits until the offline table stops growing, writes its row count to $WORK/name.offline, empties it
    local last=-1 now
    for _ in $(seq 1 50); do
        now=$(psql_value "SELECT count(*) FROM $SCHEMA.offline")
        [ "$now" = "$last" ] && break
        last=$now; sleep 0.2
    done
    echo "$now" >"$WORK/$1.offline"
    # Per recipient, with the first and last storage time: a backlog left by the overloaded step spreads over many
    # recipients and ends as the receivers log out; one stream's stuck queue is one recipient.
    psql_value "SELECT owner, count(*), min(stamp), max(stamp) FROM $SCHEMA.offline GROUP BY owner ORDER BY 2 DESC" >"$WORK/$1.offline-by-owner" || true
    psql_run "DELETE FROM $SCHEMA.offline"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # name json args...
    local name=$1 json=$2; shift 2
    log "$name"
    local a0 b0 rc=0 t0 t1
    a0=$(cpu_ticks "${PID[a]}"); b0=$(cpu_ticks "${PID[b]}"); t0=$(date +%s.%N)
    local hook=""
    if [ -n "${CLUSTER_HOOK:-}" ]; then
        $CLUSTER_HOOK "$name" "${PID[a]}" "${PID[b]}" "$WORK" >"$WORK/$name.hook.txt" 2>&1 &
        hook=$!
    fi
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 nice -n -10 taskset -c 0 dotnet "$BN_DLL" "$@" --domain localhost --password pw \
        --mechanism SCRAM-SHA-256 --scram-cache "$WORK/scram.json" --json "$json" >"$WORK/$name.txt" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    [ -n "$hook" ] && { wait "$hook" || log "CLUSTER_HOOK failed for $name, see $WORK/$name.hook.txt"; }
    echo "$(( $(cpu_ticks "${PID[a]}") - a0 )) $(( $(cpu_ticks "${PID[b]}") - b0 )) $t0 $t1" >"$WORK/$name.cpu"
    [ $rc -eq 2 ] && { echo "cluster.sh: bench usage error, see $WORK/$name.txt" >&2; exit 2; }
    # A message the bench counts as lost may have been stored offline: its receiver logged out while it was still
    # queued on a node (the overloaded last step ends with a backlog). Count those rows once the nodes have routed what
    # was in flight, and clear them so that the next run's receivers are not handed this run's messages at login.
    settle_offline "$name"
    [ $rc -ne 0 ] && log "$name was not clean (exit $rc), see $WORK/$name.txt"
    return 0
}

A="127.0.0.1:${CPORT[a]}"
B="127.0.0.1:${CPORT[b]}"
# Warm-up, not measured: both nodes JIT-compile the message and link paths before the measured runs.
run warmup-same "$WORK/warmup-same.json" messaging --host "$A" --users "$USERS" --rate-start "$RATE_START" --rate-step 0 --step-duration 3s --duration 3s --p99-max 10s
run warmup-cross "$WORK/warmup-cross.json" cross-node --host "$A" --receiver-host "$B" --users "$USERS" --rate-start "$RATE_START" --rate-step 0 --step-duration 3s --duration 3s --p99-max 10s
STEPS=(--users "$USERS" --rate-start "$RATE_START" --rate-step "$RATE_STEP" --rate-growth "$RATE_GROWTH" --step-duration "$STEP_DURATION" --duration "$MAX_DURATION")
run same-node "$WORK/same-node.json" messaging --host "$A" --server-pid "${PID[a]}" "${STEPS[@]}"
run cross-node "$WORK/cross-node.json" cross-node --host "$A" --receiver-host "$B" --server-pid "${PID[a]}" "${STEPS[@]}"
max_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messaging"]["maxSustainedRate"])' "$1"; }
SAME_MAX=$(max_of "$WORK/same-node.json"); CROSS_MAX=$(max_of "$WORK/cross-node.json")
SAME_HALF=$(( SAME_MAX / 2 > 0 ? SAME_MAX / 2 : RATE_START )); CROSS_HALF=$(( CROSS_MAX / 2 > 0 ? CROSS_MAX / 2 : RATE_START ))
run same-node-half "$WORK/same-node-half.json" messaging --host "$A" --server-pid "${PID[a]}" --users "$USERS" --rate-start "$SAME_HALF" --rate-step 0 --step-duration "$HALF_DURATION" --duration "$HALF_DURATION"
run cross-node-half "$WORK/cross-node-half.json" cross-node --host "$A" --receiver-host "$B" --server-pid "${PID[a]}" --users "$USERS" --rate-start "$CROSS_HALF" --rate-step 0 --step-duration "$HALF_DURATION" --duration "$HALF_DURATION"

REPORT="$WORK/cluster.md"
python3 - "$WORK" "$USERS" "$(git -C "$ROOT" rev-parse --short HEAD)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$QUICK" "${NODE_SCHED:-normal}" >"$REPORT" <<'PY'
import json, os, sys
work, users, commit, load, quick, sched = sys.argv[1:]
hz = os.sysconf("SC_CLK_TCK")
def res(name):
    r = json.load(open(os.path.join(work, name + ".json")))
    a, b, t0, t1 = open(os.path.join(work, name + ".cpu")).read().split()
    m = r["messaging"]
    steps = m.get("steps") or []
    top = next((s for s in steps if s["offeredRate"] == m.get("maxSustainedRate")), None)
    r["offline"] = int(open(os.path.join(work, name + ".offline")).read())
    return r, m, steps, top, int(a) / hz, int(b) / hz
print("## Cross-node")
print()
print(f"Produced by `bench/cluster.sh{' --quick' if quick == '1' else ''}`: two `rookery run` nodes (commit `{commit}`) on one PostgreSQL")
print("database (own schema), linked over loopback, **both nodes pinned to core 1** (the cluster gets the one core a single node")
print("gets) and the bench on core 0, all at `nice -n -10`"
      + ("; the nodes under `SCHED_BATCH` (`NODE_SCHED=batch`: no wake-up preemption between them)" if sched == "batch" else "")
      + "; SCRAM-SHA-256, no TLS, archiving (`mam`) off, "
      f"{users} users. `messaging` puts every user on node a; `cross-node` puts the senders on node a and the receivers on node b,")
print(f"so every message crosses the node link. 3 s of each as an unmeasured warm-up first. Load average at the end: {load}.")
print()
print("| | same node | cross-node | cross ÷ same |")
print("|---|---:|---:|---:|")
sr, sm, ss, st, sa, sb = res("same-node")
cr, cm, cs, ct, ca, cb = res("cross-node")
hr, hm, hs, ht, ha, hb = res("same-node-half")
xr, xm, xs, xt, xa, xb = res("cross-node-half")
def rate(t): return t["deliveredRate"] if t else 0
def p99(t): return t["latency"]["p99Ms"] if t else None
def f(v, d=2): return "n/a" if v is None else f"{v:,.{d}f}"
sd, cd = rate(st), rate(ct)
print(f"| max sustained msg/s (delivered) | {sd:,.0f} | {cd:,.0f} | {cd / sd * 100 if sd else 0:.0f} % |")
print(f"| p99 at max sustained, ms | {f(p99(st))} | {f(p99(ct))} | |")
hs1 = hs[0] if hs else None; xs1 = xs[0] if xs else None
def n(v): return "n/a" if v is None else f"{v:,}"
print(f"| constant rate at half the max, msg/s | {n(hs1['offeredRate'] if hs1 else None)} | {n(xs1['offeredRate'] if xs1 else None)} | |")
print(f"| p50 / p99 / max at half the max, ms | {f(hs1['latency']['p50Ms']) if hs1 else 'n/a'} / {f(p99(hs1))} / {f(hs1['latency']['maxMs']) if hs1 else 'n/a'} | "
      f"{f(xs1['latency']['p50Ms']) if xs1 else 'n/a'} / {f(p99(xs1))} / {f(xs1['latency']['maxMs']) if xs1 else 'n/a'} | |")
def per(a, b, m): return (a + b) / m["delivered"] * 1e6 if m.get("delivered") else None
print(f"| server CPU per message (both nodes, whole stepped run), µs | {f(per(sa, sb, sm), 1)} | {f(per(ca, cb, cm), 1)} | |")
print(f"| sent / delivered / lost (stepped run) | {sm['sent']:,} / {sm['delivered']:,} / {sm['lost']} | {cm['sent']:,} / {cm['delivered']:,} / {cm['lost']} | |")
print(f"| of the lost: stored offline after the receivers logged out | {sr['offline']:,} | {cr['offline']:,} | |")
print(f"| stopped because | {sm['stopReason']} | {cm['stopReason']} | |")
print()
ratio = cd / sd if sd else 0
cp99 = p99(xs1)
print(f"* Target cross-node throughput ≥ 70 % of same-node: **{'met' if ratio >= 0.7 else 'missed'}** ({ratio * 100:.0f} %).")
print(f"* Target cross-node p99 < 5 ms at half the maximum rate: **{'met' if cp99 is not None and cp99 < 5 else 'missed'}** ({f(cp99)} ms).")
for name, r in (("same-node", sr), ("cross-node", cr), ("same-node-half", hr), ("cross-node-half", xr)):
    if not r.get("clean"):
        print(f"* {name} run not clean: " + "; ".join(r.get("problems") or []))
PY

if [ "$WRITE_DOCS" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/benchmarks.md" "$REPORT" cluster
    log "written to docs/benchmarks.md"
fi
cat "$REPORT"
