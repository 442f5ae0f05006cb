#!/bin/sh
# End-to-end benchmark of `logwarden agent` (issue 2): builds logwarden and the
# driver, generates a syslog-style file (default 1 GiB) and measures, in one
# run, `cat FILE > /dev/null`, logwarden into a null CloudWatch Logs endpoint
# (http and https), logwarden into `logwarden server`, and the peers whose
# binaries are given:
#
#   LOGWARDEN_BENCH_FLUENTBIT=/path/to/fluent-bit
#   LOGWARDEN_BENCH_CWAGENT=/path/to/amazon-cloudwatch-agent   (config-translator beside it,
#                                                             or LOGWARDEN_BENCH_CWAGENT_TRANSLATOR)
#
# A peer whose variable is unset is skipped with a message. Any flag is passed
# to the driver, e.g.:
#
#   bench/agent/run.sh                       # 1 GiB file, every run
#   bench/agent/run.sh -lines 1000000        # the 1 M-line file the peers' figures use
#   bench/agent/run.sh -size 256MiB -runs cat,null -out /tmp/agent-bench.md
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$root"
go build -o "$tmp/logwarden" ./cmd/logwarden
go build -o "$tmp/agent-bench" ./bench/agent
"$tmp/agent-bench" -logwarden "$tmp/logwarden" "$@"
