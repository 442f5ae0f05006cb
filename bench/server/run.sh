#!/bin/sh
# Measures logwarden's CloudWatch Logs server against moto_server in one run:
# PutLogEvents ingestion (8 Go SDK clients in this process, 1,000-event batches,
# each server a separate process whose CPU time is read from /proc),
# FilterLogEvents over 1,000,000 events, and stored bytes per raw byte.
#   bench/server/run.sh [-duration 10s] [-filter-events 1000000] [-moto moto_server]
set -eu
cd "$(dirname "$0")/../.."
out="${TMPDIR:-/tmp}/lw-server-bench.$$"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
go build -o "$out/logwarden" ./cmd/logwarden
go build -o "$out/bench" ./bench/server
"$out/bench" -logwarden "$out/logwarden" "$@"
