#!/bin/sh
# Measures logwarden's CloudWatch Logs server against moto_server in one run:
# PutLogEvents ingestion (8 Go SDK clients, 1,000-event batches), FilterLogEvents
# over 1,000,000 events, and stored bytes per raw byte.
#   bench/server/run.sh [-duration 10s] [-filter-events 1000000] [-moto moto_server]
set -eu
cd "$(dirname "$0")/../.."
go build -o "${TMPDIR:-/tmp}/lw-server-bench" ./bench/server
exec "${TMPDIR:-/tmp}/lw-server-bench" "$@"
