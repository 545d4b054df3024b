#!/usr/bin/env bash
# bench/compare.sh — Rookery, Prosody and ejabberd measured side by side with rookery-bench (issue #6).
#
# Every server runs as a normal process from its own temporary folder (own config, ports, data; never the system
# service), with the same domain, the same users and fair settings: TLS off, SASL PLAIN allowed without TLS, SCRAM keys
# stored with 4096 iterations, rate limits and shapers off, registration throttles off. Each server is pinned to core 1
# (taskset -c 1) and the bench to core 0, both at nice -10. The scenarios run in turn, alternating which server goes
# first, and the results are written as Markdown tables (docs/benchmarks.md, between the "compare" markers).
#
# Usage: bench/compare.sh [--quick] [--self-check] [--no-docs] [--servers "rookery prosody ejabberd"]
#                         [--scenarios "login-plain login-scram messaging muc idle"]
#   --quick       tiny sizes, a few seconds per scenario (for development); results are not written to docs/
#   --self-check  generate the configurations, start each server, provision 4 users, run a login and a muc smoke
#                 against each, stop them; no docs. Needs prosody and ejabberd installed (no apt here).
#   --no-docs     keep the report in the work folder only
# Sizes (environment): LOGIN_USERS IDLE_USERS MSG_USERS MUC_USERS MUC_ROOMS MSG_RATE_START MSG_RATE_STEP
#   MUC_RATE_START MUC_RATE_STEP RATE_GROWTH STEP_DURATION MAX_DURATION IDLE_HOLD DOMAIN
#   Rates grow by the larger of the fixed step and RATE_GROWTH percent per step, so that a server whose limit is
#   2,000 msg/s and one whose limit is 100,000 are both found within MAX_DURATION at the same relative resolution.
# Binaries (environment, optional): COMPARE_ROOKERY_DLL COMPARE_BENCH_DLL (default: Release builds made by this script)
# Work folder: COMPARE_WORK (default: a new folder under /tmp, kept for the logs and JSON files)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
SELF_CHECK=0
WRITE_DOCS=1
SERVERS="rookery prosody ejabberd"
# idle last: it holds 19,000 connections, and a server that has just dropped them (a large old generation, a large
# Lua heap, a large BEAM heap) is not the one the messaging runs should measure. It restarts the server anyway.
SCENARIOS="login-plain login-scram messaging muc idle"

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1; WRITE_DOCS=0; shift ;;
        --self-check) SELF_CHECK=1; WRITE_DOCS=0; shift ;;
        --no-docs) WRITE_DOCS=0; shift ;;
        --servers) SERVERS="$2"; shift 2 ;;
        --scenarios) SCENARIOS="$2"; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

for s in $SERVERS; do
    case "$s" in rookery|prosody|ejabberd) ;; *) echo "compare.sh: unknown server '$s' (rookery, prosody, ejabberd)" >&2; exit 2 ;; esac
done
for s in $SCENARIOS; do
    case "$s" in login-plain|login-scram|idle|messaging|muc) ;; *) echo "compare.sh: unknown scenario '$s'" >&2; exit 2 ;; esac
done

if [ "$QUICK" = 1 ] || [ "$SELF_CHECK" = 1 ]; then
    : "${LOGIN_USERS:=20}" "${IDLE_USERS:=20}" "${MSG_USERS:=10}" "${MUC_USERS:=10}" "${MUC_ROOMS:=1}"
    : "${MSG_RATE_START:=200}" "${MSG_RATE_STEP:=200}" "${MUC_RATE_START:=10}" "${MUC_RATE_STEP:=10}"
    : "${STEP_DURATION:=1s}" "${MAX_DURATION:=3s}" "${IDLE_HOLD:=2s}" "${RATE_GROWTH:=0}"
else
    : "${LOGIN_USERS:=2000}" "${IDLE_USERS:=19000}" "${MSG_USERS:=200}" "${MUC_USERS:=200}" "${MUC_ROOMS:=1}"
    : "${MSG_RATE_START:=500}" "${MSG_RATE_STEP:=0}" "${MUC_RATE_START:=4}" "${MUC_RATE_STEP:=0}"
    : "${STEP_DURATION:=4s}" "${MAX_DURATION:=120s}" "${IDLE_HOLD:=15s}" "${RATE_GROWTH:=25}"
fi
: "${DOMAIN:=localhost}"
PASSWORD=pw
PATTERN='bench{0}'
USERS_MAX=$LOGIN_USERS
for n in "$IDLE_USERS" "$MSG_USERS" "$MUC_USERS"; do [ "$n" -gt "$USERS_MAX" ] && USERS_MAX=$n; done
[ "$SELF_CHECK" = 1 ] && USERS_MAX=4

WORK="${COMPARE_WORK:-$(mktemp -d /tmp/rookery-compare.XXXXXX)}"
mkdir -p "$WORK"
log() { printf '[compare %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- prerequisites
need_install=""
command -v prosody >/dev/null 2>&1 || need_install="$need_install prosody"
[ -x /usr/lib/x86_64-linux-gnu/ejabberd-23.01/ebin/ejabberd.app ] || [ -d "$(ls -d /usr/lib/*/ejabberd-* 2>/dev/null | head -1)" ] || need_install="$need_install ejabberd"
wanted_install=""
for p in $need_install; do case " $SERVERS " in *" $p "*) wanted_install="$wanted_install $p" ;; esac; done
if [ -n "$wanted_install" ]; then
    if [ "$SELF_CHECK" = 1 ]; then
        echo "compare.sh --self-check: SKIPPED, not installed:$wanted_install (the self-check never runs apt-get)" >&2
        exit 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "compare.sh: needs$wanted_install; run as root so that it can 'apt-get install -y$wanted_install', or install them first" >&2
        exit 2
    fi
    log "installing$wanted_install"
    # The Debian packages start their system services; those use the standard ports and are stopped again at once.
    DEBIAN_FRONTEND=noninteractive apt-get install -y $wanted_install >"$WORK/apt.log" 2>&1 || { echo "compare.sh: apt-get failed, see $WORK/apt.log" >&2; exit 2; }
    for p in $wanted_install; do systemctl stop "$p" >/dev/null 2>&1 || service "$p" stop >/dev/null 2>&1 || true; done
fi
EJABBERD_LIBS="$(dirname "$(ls -d /usr/lib/*/ejabberd-[0-9]* 2>/dev/null | head -1)" 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)"

# ---------------------------------------------------------------- binaries
# Not ROOKERY_*: that prefix is Rookery's own configuration from the environment.
RK_DLL="${COMPARE_ROOKERY_DLL:-}"
BN_DLL="${COMPARE_BENCH_DLL:-}"
if [ -z "$RK_DLL" ] || [ -z "$BN_DLL" ]; then
    log "building Rookery and rookery-bench (Release)"
    dotnet build "$ROOT/src/Rookery" -c Release -nologo -v q >"$WORK/build-rookery.log" 2>&1 || { echo "compare.sh: build failed, see $WORK/build-rookery.log" >&2; exit 2; }
    dotnet build "$ROOT/bench/Rookery.Bench" -c Release -nologo -v q >"$WORK/build-bench.log" 2>&1 || { echo "compare.sh: build failed, see $WORK/build-bench.log" >&2; exit 2; }
fi
RK_DLL="${RK_DLL:-$ROOT/src/Rookery/bin/Release/net10.0/rookery.dll}"
BN_DLL="${BN_DLL:-$ROOT/bench/Rookery.Bench/bin/Release/net10.0/rookery-bench.dll}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# ---------------------------------------------------------------- server lifecycle
declare -A PORT PID
STARTED_PIDS=""
EPMD_WAS_RUNNING=0
pgrep -x epmd >/dev/null 2>&1 && EPMD_WAS_RUNNING=1

cleanup() {
    local code=$?
    for pid in $STARTED_PIDS; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $STARTED_PIDS; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    # erl started epmd for ejabberd's node name; stop it only when it was not running before.
    if [ "$EPMD_WAS_RUNNING" = 0 ] && pgrep -x epmd >/dev/null 2>&1; then epmd -kill >/dev/null 2>&1 || true; fi
    [ $code -ne 0 ] && log "failed (exit $code); logs and JSON in $WORK"
    exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # name port pid
    for _ in $(seq 1 600); do
        if ! kill -0 "$3" 2>/dev/null; then echo "compare.sh: $1 exited during start-up; see $WORK/$1/*.log" >&2; return 1; fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "compare.sh: $1 did not open port $2 within 60 s" >&2
    return 1
}

config_rookery() {
    local d="$WORK/rookery"; mkdir -p "$d"
    # No rookery.json here: every setting is on the command line (the run starts in this empty folder). Logging at
    # Warning, like the peers (Prosody error, ejabberd warning): Information writes a line per login.
    : >"$d/settings"
}

start_rookery() {
    local d="$WORK/rookery" port; port=$(free_port); PORT[rookery]=$port
    # MAM off: the peers run without an archive too (Prosody without mod_mam, ejabberd with mam: false on MUC).
    (cd "$d" && exec nice -n -10 taskset -c 1 dotnet "$RK_DLL" run --S2S:Enabled=false --Listeners:Http:Enabled=false --data "$d/data" --domain "$DOMAIN" --port "$port" --no-direct-tls \
        --Auth:ScramIterations=4096 "--Hosts:$DOMAIN:AllowUnencryptedPlain=true" --Modules:Muc:MaxUsers=100000 --Modules:Muc:HistoryMessages=0 \
        --Limits:MaxOutboundQueue=100000 --DisabledModules:0=mam --Logging:LogLevel:Default=Warning >"$d/rookery.log" 2>&1) &
    PID[rookery]=$!; STARTED_PIDS="$STARTED_PIDS ${PID[rookery]}"
    wait_port rookery "$port" "${PID[rookery]}"
}

config_prosody() {
    local d="$WORK/prosody" port; mkdir -p "$d/data"; port=$(free_port); PORT[prosody]=$port
    cat >"$d/prosody.cfg.lua" <<EOF
-- Generated by bench/compare.sh: a private Prosody for a loopback benchmark.
run_as_root = true
daemonize = false
pidfile = "$d/prosody.pid"
data_path = "$d/data"
plugin_paths = {}
log = { { levels = { min = "error" }, to = "file", filename = "$d/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = {}
component_ports = {}
http_ports = {}
https_ports = {}
-- Nagle off, as Rookery (Kestrel's sockets) and ejabberd run their client sockets: Prosody's epoll backend keeps it
-- on by default, and its small writes to a receiver then wait for that receiver's delayed ACK (p99 near 80 ms at 500 msg/s).
network_settings = { tcp_backlog = 4096, nagle = false }
modules_enabled = { "roster", "saslauth", "disco", "ping", "register", "presence" }
modules_disabled = { "s2s", "tls", "limits", "offline", "c2s_limits", "posix" }
-- Fair settings: no TLS, PLAIN allowed without it, SCRAM keys with 4096 iterations, no throttles.
c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
default_iteration_count = 4096
allow_registration = true
registration_allowlist = { "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8" }
limits = {}
storage = "internal"
VirtualHost "$DOMAIN"
Component "conference.$DOMAIN" "muc"
    restrict_room_creation = false
    muc_room_locking = false
    muc_room_default_history_length = 0
    max_history_messages = 0
    muc_room_cache_size = 1000
    muc_tombstones = false
EOF
}

start_prosody() {
    local d="$WORK/prosody"
    (cd "$d" && ulimit -n 20000 2>/dev/null; exec nice -n -10 taskset -c 1 prosody --config "$d/prosody.cfg.lua" -F >"$d/stdout.log" 2>&1) &
    PID[prosody]=$!; STARTED_PIDS="$STARTED_PIDS ${PID[prosody]}"
    wait_port prosody "${PORT[prosody]}" "${PID[prosody]}"
}

config_ejabberd() {
    local d="$WORK/ejabberd" port; mkdir -p "$d/spool" "$d/logs"; port=$(free_port); PORT[ejabberd]=$port
    cat >"$d/ejabberd.yml" <<EOF
# Generated by bench/compare.sh: a private ejabberd for a loopback benchmark.
hosts:
  - "$DOMAIN"
loglevel: warning
hide_sensitive_log_data: true
listen:
  -
    port: $port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: none
    access: c2s
    starttls: false
    starttls_required: false
    backlog: 4096
# Fair settings: no TLS, PLAIN allowed without it (ejabberd offers it unless disabled), SCRAM-SHA-1 keys stored
# (4096 iterations, ejabberd's fixed count), no shapers, no registration timeout.
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha
disable_sasl_mechanisms: ["digest-md5", "x-oauth2"]
registration_timeout: infinity
max_fsm_queue: 100000
shaper: {}
shaper_rules: {}
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
  register:
    allow: all
  muc_create:
    allow: all
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_register:
    access: register
    ip_access: all
    password_strength: 0
    welcome_message: {}
  mod_muc:
    host: "conference.$DOMAIN"
    access: all
    access_create: muc_create
    access_persistent: muc_create
    access_admin: none
    history_size: 0
    max_users: 100000
    max_users_presence: 100000
    max_user_conferences: 100
    min_message_interval: 0
    min_presence_interval: 0
    default_room_options:
      max_users: 100000
      mam: false
      allow_subscription: false
EOF
}

start_ejabberd() {
    local d="$WORK/ejabberd"
    # Started like ejabberdctl foreground does, without its switch to the ejabberd user, as our own child.
    # One scheduler (the server has one core) and no scheduler busy-waiting, which would otherwise burn the core while idle.
    (cd "$d" && ulimit -n 20000 2>/dev/null; export HOME="$d" ERL_LIBS="$EJABBERD_LIBS" EJABBERD_CONFIG_PATH="$d/ejabberd.yml" \
        EJABBERD_LOG_PATH="$d/logs/ejabberd.log" ERL_CRASH_DUMP="$d/logs/erl_crash.dump" ERL_CRASH_DUMP_BYTES=0 ERL_INETRC=/etc/ejabberd/inetrc;
        exec nice -n -10 taskset -c 1 erl -sname "ejbench$$" +K true +P 1000000 +Q 65536 +S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none \
            -noinput -mnesia dir "\"$d/spool\"" -s ejabberd >"$d/logs/stdout.log" 2>&1) &
    PID[ejabberd]=$!; STARTED_PIDS="$STARTED_PIDS ${PID[ejabberd]}"
    wait_port ejabberd "${PORT[ejabberd]}" "${PID[ejabberd]}"
}

restart_server() { # server: stops it (SIGTERM, then SIGKILL after 10 s) and starts it again on the same data
    local s=$1 pid=${PID[$1]}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    "start_$s"
    log "$s restarted on ${PORT[$s]} (pid ${PID[$s]})"
}

bench() { # server scenario-name json args...
    local server=$1 name=$2 json=$3; shift 3
    log "$server: $name"
    local rc=0
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 nice -n -10 taskset -c 0 dotnet "$BN_DLL" "$@" \
        --host 127.0.0.1 --port "${PORT[$server]}" --domain "$DOMAIN" --user-pattern "$PATTERN" --password "$PASSWORD" \
        --server-pid "${PID[$server]}" --json "$json" >"$WORK/$server-$name.txt" 2>&1 || rc=$?
    if [ $rc -eq 2 ]; then echo "compare.sh: rookery-bench usage error, see $WORK/$server-$name.txt" >&2; return 2; fi
    [ $rc -ne 0 ] && log "$server: $name was not clean (exit $rc), see $WORK/$server-$name.txt"
    return 0
}

provision() { # server
    local s=$1
    case "$s" in
        rookery)
            # The bulk verb on the node's database (the node may be running): one process, one transaction per 500 accounts.
            bench rookery provision "$WORK/rookery-provision.json" login --users "$USERS_MAX" --concurrency 100 --mechanism SCRAM-SHA-1 \
                --scram-cache "$WORK/scram.json" \
                --provision-once "dotnet $RK_DLL user add-range {pattern}@{domain} --count {count} --password {password} --iterations 4096 --data $WORK/rookery/data"
            ;;
        *)
            # In-band registration (XEP-0077) through the bench, throttles off; the login that follows warms the SCRAM cache.
            bench "$s" provision "$WORK/$s-provision.json" login --users "$USERS_MAX" --concurrency 50 --mechanism SCRAM-SHA-1 \
                --register --provision-parallel 8 --scram-cache "$WORK/scram.json"
            ;;
    esac
}

run_scenario() { # server scenario
    local s=$1 sc=$2 j="$WORK/$1-$2.json"
    case "$sc" in
        login-plain) bench "$s" "$sc" "$j" login --users "$LOGIN_USERS" --concurrency 200 --mechanism PLAIN ;;
        login-scram) bench "$s" "$sc" "$j" login --users "$LOGIN_USERS" --concurrency 200 --mechanism SCRAM-SHA-1 --scram-cache "$WORK/scram.json" ;;
        idle)
            # On a freshly started server, so that its RSS before the run is not what the login storms left behind. From
            # 8 source addresses (127.0.0.1-8): 19,000 connections to one port would otherwise need as many ephemeral ports.
            restart_server "$s"
            bench "$s" "$sc" "$j" idle --users "$IDLE_USERS" --concurrency 200 --sources 8 --mechanism SCRAM-SHA-1 --scram-cache "$WORK/scram.json" \
                --duration "$IDLE_HOLD" --settle 5s ;;
        messaging) bench "$s" "$sc" "$j" messaging --users "$MSG_USERS" --mechanism SCRAM-SHA-1 --scram-cache "$WORK/scram.json" \
            --rate-start "$MSG_RATE_START" --rate-step "$MSG_RATE_STEP" --rate-growth "$RATE_GROWTH" --step-duration "$STEP_DURATION" --duration "$MAX_DURATION" ;;
        muc) bench "$s" "$sc" "$j" muc --users "$MUC_USERS" --rooms "$MUC_ROOMS" --mechanism SCRAM-SHA-1 --scram-cache "$WORK/scram.json" \
            --rate-start "$MUC_RATE_START" --rate-step "$MUC_RATE_STEP" --rate-growth "$RATE_GROWTH" --step-duration "$STEP_DURATION" --duration "$MAX_DURATION" ;;
    esac
}

versions() {
    echo "* Rookery: commit $(git -C "$ROOT" rev-parse --short HEAD) ($(dotnet "$RK_DLL" version 2>/dev/null | head -1)), .NET $(dotnet --list-runtimes | awk '/NETCore.App/{v=$2} END{print v}')"
    echo "* Prosody: $(dpkg-query -W -f '${Version}' prosody 2>/dev/null || echo unknown) (Debian package, Lua $(lua5.4 -v 2>&1 | awk '{print $2}'), network backend epoll)"
    echo "* ejabberd: $(dpkg-query -W -f '${Version}' ejabberd 2>/dev/null || echo unknown) (Debian package, Erlang/OTP $(erl -noshell -eval 'io:format("~s",[erlang:system_info(otp_release)]), halt().'))"
}

# ---------------------------------------------------------------- run
log "work folder $WORK; servers: $SERVERS; scenarios: $SCENARIOS"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for s in $SERVERS; do
    "config_$s"
done
# Rookery's accounts go straight into its database before it starts; the others register in-band once running.
for s in $SERVERS; do
    "start_$s"
    log "$s listening on ${PORT[$s]} (pid ${PID[$s]})"
    provision "$s"
done

# Warm-up, not measured: JIT compilers (.NET tiered compilation, Lua has none, BEAM's JIT) and caches see the message
# paths once before the measured runs, for every server alike.
if [ "$SELF_CHECK" = 0 ]; then
    for s in $SERVERS; do
        bench "$s" warmup-messaging "$WORK/$s-warmup-messaging.json" messaging --users "$MSG_USERS" --mechanism SCRAM-SHA-1 \
            --scram-cache "$WORK/scram.json" --rate-start "$MSG_RATE_START" --rate-step 0 --step-duration 3s --duration 3s
        bench "$s" warmup-muc "$WORK/$s-warmup-muc.json" muc --users "$MSG_USERS" --mechanism SCRAM-SHA-1 \
            --scram-cache "$WORK/scram.json" --rate-start "$MUC_RATE_START" --rate-step 0 --step-duration 3s --duration 3s
    done
fi

if [ "$SELF_CHECK" = 1 ]; then
    failed=0
    for s in $SERVERS; do
        for sc in login-plain muc; do
            j="$WORK/$s-$sc.json"
            if [ "$sc" = muc ]; then
                DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$BN_DLL" muc --smoke --host 127.0.0.1 --port "${PORT[$s]}" --domain "$DOMAIN" \
                    --user-pattern "$PATTERN" --password "$PASSWORD" --mechanism SCRAM-SHA-1 --json "$j" >"$WORK/$s-$sc.txt" 2>&1 || { log "$s: $sc FAILED"; failed=1; continue; }
            else
                DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$BN_DLL" login --smoke --host 127.0.0.1 --port "${PORT[$s]}" --domain "$DOMAIN" \
                    --user-pattern "$PATTERN" --password "$PASSWORD" --mechanism PLAIN --json "$j" >"$WORK/$s-$sc.txt" 2>&1 || { log "$s: $sc FAILED"; failed=1; continue; }
            fi
            log "$s: $sc ok"
        done
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["provision"]["failed"]==0 else 1)' "$WORK/$s-provision.json" \
            || { log "$s: provisioning FAILED"; failed=1; }
    done
    [ $failed = 0 ] && echo "compare.sh --self-check: OK ($SERVERS)" || { echo "compare.sh --self-check: FAILED, see $WORK" >&2; exit 1; }
    exit 0
fi

set -- $SERVERS
order=("$@")
round=0
for sc in $SCENARIOS; do
    n=${#order[@]}
    for ((i = 0; i < n; i++)); do
        s=${order[$(((i + round) % n))]}
        run_scenario "$s" "$sc"
    done
    round=$((round + 1))
done
# Rookery alone: SCRAM-SHA-256 (Prosody 0.12 stores SHA-1 keys only, ejabberd one hash), after a run that caches the keys.
case " $SERVERS $SCENARIOS " in *" rookery "*" login-scram "*)
    bench rookery warmup-scram256 "$WORK/rookery-warmup-scram256.json" login --users "$LOGIN_USERS" --concurrency 200 --mechanism SCRAM-SHA-256 --scram-cache "$WORK/scram.json"
    bench rookery login-scram256 "$WORK/rookery-login-scram256.json" login --users "$LOGIN_USERS" --concurrency 200 --mechanism SCRAM-SHA-256 --scram-cache "$WORK/scram.json" ;;
esac
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

REPORT="$WORK/compare.md"
{
    echo "## Side by side: Rookery, Prosody, ejabberd"
    echo
    echo "Produced by \`bench/compare.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')$([ "$QUICK" = 1 ] && echo ' (--quick: tiny sizes, not a measurement)')."
    echo
    echo "### Machine"
    echo
    echo "* $(nproc --all) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "* Load average (1/5/15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER (the machine is shared; read ratios, not absolutes)"
    echo "* Every server pinned to core 1 (\`taskset -c 1\`), the bench to core 0 (\`taskset -c 0\`), both at \`nice -n -10\`"
    echo
    echo "### Versions"
    echo
    versions
    echo
    echo "### Commands and settings"
    echo
    echo "\`\`\`"
    echo "LOGIN_USERS=$LOGIN_USERS IDLE_USERS=$IDLE_USERS MSG_USERS=$MSG_USERS MUC_USERS=$MUC_USERS MUC_ROOMS=$MUC_ROOMS \\"
    echo "MSG_RATE_START=$MSG_RATE_START MSG_RATE_STEP=$MSG_RATE_STEP MUC_RATE_START=$MUC_RATE_START MUC_RATE_STEP=$MUC_RATE_STEP RATE_GROWTH=$RATE_GROWTH \\"
    echo "STEP_DURATION=$STEP_DURATION MAX_DURATION=$MAX_DURATION IDLE_HOLD=$IDLE_HOLD bench/compare.sh$([ "$QUICK" = 1 ] && echo ' --quick')"
    echo "\`\`\`"
    echo
    echo "Same domain (\`$DOMAIN\`), users \`bench0..bench$((USERS_MAX - 1))\` with password \`$PASSWORD\`; TLS off; SASL PLAIN allowed"
    echo "without TLS; SCRAM-SHA-1 keys with 4096 iterations on all three (Prosody 0.12 stores SHA-1 only); no rate limits or"
    echo "shapers; MUC on \`conference.$DOMAIN\` with room creation open, no history, no room lock. Accounts: Rookery with"
    echo "\`rookery user add-range\` (bulk), Prosody and ejabberd by in-band registration through the bench (their throttles off)."
    echo "Before the measured runs every server got 3 s of messaging and 3 s of groupchat as a warm-up (not measured)."
    echo "The bench's SCRAM key cache was warm for the SCRAM logins (keys derived once during provisioning), so SCRAM logins"
    echo "measure the servers. The generated configurations and every JSON result are in the work folder (\`$WORK\`)."
    echo
    python3 "$ROOT/bench/compare_report.py" "$WORK" "$SERVERS" "$SCENARIOS"
} >"$REPORT"

log "report: $REPORT"
if [ "$WRITE_DOCS" = 1 ]; then
    python3 "$ROOT/bench/write_section.py" "$ROOT/docs/benchmarks.md" "$REPORT" compare
    log "written to docs/benchmarks.md"
fi
cat "$REPORT"
