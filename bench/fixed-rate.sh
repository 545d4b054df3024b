#!/usr/bin/env bash
# bench/fixed-rate.sh — one Rookery node at one fixed messaging rate, with per-message kernel counts (issue #6).
#
# Starts a fresh `rookery run` on core 1 (nice -10) with 200 provisioned users, warms it up for 6 s at the rate, then
# runs `rookery-bench messaging` on core 0 for 18 s at the same rate and, 4 s into it, `perf stat` on the server for
# 10 s (futex, sendto, recvfrom, epoll_wait, sched_yield, context switches, task clock). Prints the bench's result row
# and each count divided by the messages delivered in the window. Use it to compare builds or settings at a rate below
# saturation, where the stepped runs of compare.sh are dominated by queueing.
#
# Usage: bench/fixed-rate.sh RATE LABEL
# Environment: ROOKERY_DLL, BENCH_DLL (default: this checkout's Release builds), SERVER_ENV (extra environment for the
#   server, e.g. "DOTNET_GCgen0size=0x2000000"), BENCH_ARGS (extra bench options, e.g. "--tick 1ms"), NO_PERF=1 (no
#   perf stat), WORK (default /tmp/rookery-fixed-rate). Needs `perf` with tracepoint access (root).
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,13p' "$0"; exit 2; }
RATE=$1 LABEL=$2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RK=${ROOKERY_DLL:-$ROOT/src/Rookery/bin/Release/net10.0/rookery.dll}
unset ROOKERY_DLL # rookery reads ROOKERY_* variables as configuration keys, and 'DLL' is none
BN=${BENCH_DLL:-$ROOT/bench/Rookery.Bench/bin/Release/net10.0/rookery-bench.dll}
D=${WORK:-/tmp/rookery-fixed-rate}/$LABEL
rm -rf "$D"; mkdir -p "$D"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet "$RK" user add-range 'bench{0}@localhost' --count 200 --password pw --iterations 4096 --data "$D/data" >/dev/null
# shellcheck disable=SC2086
(cd "$D" && exec nice -n -10 taskset -c 1 env ${SERVER_ENV:-} dotnet "$RK" run --S2S:Enabled=false --Listeners:Http:Enabled=false \
    --data "$D/data" --domain localhost --port "$PORT" --no-direct-tls --Auth:ScramIterations=4096 \
    --Hosts:localhost:AllowUnencryptedPlain=true --Limits:MaxOutboundQueue=100000 --DisabledModules:0=mam \
    --Logging:LogLevel:Default=Warning >"$D/rookery.log" 2>&1) &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
PID=$(pgrep -f "dotnet $RK run .*--port $PORT" | head -1)
bench() {
    # shellcheck disable=SC2086
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 nice -n -10 taskset -c 0 dotnet "$BN" messaging --host 127.0.0.1 --port "$PORT" \
        --domain localhost --user-pattern 'bench{0}' --password pw --mechanism PLAIN --server-pid "$PID" --users 200 \
        --rate-start "$RATE" --rate-step 0 --p99-max 10s ${BENCH_ARGS:-} "$@"
}
bench --step-duration 6s --duration 6s >"$D/warmup.txt" 2>&1
if [ -z "${NO_PERF:-}" ]; then
    (sleep 4; perf stat -x, -e 'syscalls:sys_enter_futex,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_sched_yield,context-switches,task-clock' \
        -p "$PID" -- sleep 10 2>"$D/perf.txt") &
    PERF=$!
fi
bench --step-duration 18s --duration 18s --json "$D/run.json" >"$D/run.txt" 2>&1 || true
[ -n "${PERF:-}" ] && wait "$PERF"
ROW=$(grep -E '^\| [0-9,]+ \|' "$D/run.txt" | tail -1)
echo "$LABEL at $RATE/s: | offered | sent | delivered | p50 | p90 | p99 | max | errors | bench CPU | server CPU | verdict |"
echo "$ROW"
if [ -f "$D/perf.txt" ]; then
    DELIVERED=$(echo "$ROW" | awk -F'|' '{gsub(/[ ,]/,"",$4); print $4}')
    awk -F, -v n="$DELIVERED" '$1 ~ /^[0-9.]+$/ { name=$3; sub(/syscalls:sys_enter_/, "", name);
        if (name == "task-clock") printf "  %-18s %8.1f µs per message\n", "CPU", $1 * 1000 / (n * 10);
        else printf "  %-18s %8.3f per message\n", name, $1 / (n * 10) }' "$D/perf.txt"
fi
