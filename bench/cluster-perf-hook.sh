#!/usr/bin/env bash
# bench/cluster-perf-hook.sh — a CLUSTER_HOOK for bench/cluster.sh: system calls, context switches and CPU of each node
# during a measured phase, for counts per delivered message at a fixed offered rate (docs/benchmarks.md "Cross-node
# wake-ups"). Started by cluster.sh with: phase name, node a's PID, node b's PID, work directory. Waits 3 s into the
# phase, then runs `perf stat` on both nodes for 8 s; writes <work>/<phase>.perf.a and .perf.b (CSV, `perf stat -x,`).
# Divide each count by (delivered msg/s of the phase × 8).
set -u
phase=$1 pid_a=$2 pid_b=$3 work=$4
case "$phase" in warmup-*) exit 0 ;; esac
sleep 3
EVENTS='syscalls:sys_enter_futex,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_write,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg,syscalls:sys_enter_read,syscalls:sys_enter_epoll_wait,context-switches,task-clock'
perf stat -x, -e "$EVENTS" -p "$pid_a" -o "$work/$phase.perf.a" -- sleep 8 &
perf stat -x, -e "$EVENTS" -p "$pid_b" -o "$work/$phase.perf.b" -- sleep 8 &
wait
