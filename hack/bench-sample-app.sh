#!/usr/bin/env bash
# Load test of the sample-app chain: starts A -> B -> C on 127.0.0.1
# (in-process, ephemeral ports), with tracing off and on, and prints a
# Markdown report (open loop at a fixed rate, closed loop at max
# throughput; p50/p90/p99 latency, throughput, errors).
#
# Usage: hack/bench-sample-app.sh [loadgen flags]
#   defaults: -rounds 3 -rate 1000 -duration 10s -workers 32 -closed-duration 10s
#   (about 2.5 minutes); see `go run ./cmd/loadgen -h` in sample-app/.
# Run it on an otherwise idle machine: the chain needs every core.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root/sample-app"
exec go run ./cmd/loadgen "$@"
