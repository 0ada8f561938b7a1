#!/usr/bin/env bash
# Stops the broker started by scripts/kafka-start.sh (SIGTERM, then SIGKILL after 20 s).
set -euo pipefail
cache="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}"
run="${KAFKA_DATA_DIR:-$cache/kafka-run}"
pidfile="$run/kafka.pid"
[ -f "$pidfile" ] || { echo "[kafka-stop] no broker pid file at $pidfile" >&2; exit 0; }
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
  echo "[kafka-stop] stopped broker pid $pid" >&2
fi
rm -f "$pidfile"
