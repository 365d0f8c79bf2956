#!/usr/bin/env bash
# Load test of the sample-app chain: starts A -> B -> C on 127.0.0.1
# (in-process, ephemeral ports), with tracing off, on (every request
# sampled) and sampled (the mesh's default: the ingress samples 1%), and
# prints a Markdown report (open loop at a fixed rate, closed loop at max
# throughput; p50/p90/p99 latency, throughput, CPU per request, errors).
# Traced hops export over OTLP/HTTP, as in production, to a sink on
# 127.0.0.1 that drops the spans (-exporter count: dropped before export).
# The hops call each other over HTTP; -transport grpc or grpc-mtls (each
# hop its own certificate from a throwaway CA, as under the mesh's STRICT
# mTLS) runs the same load over the proxyless transport's protocol.
#
# Usage: hack/bench-sample-app.sh [loadgen flags]
#   defaults: -rounds 3 -rate 1000 -duration 10s -workers 32 -closed-duration 10s
#   (about 4 minutes); see `go run ./cmd/loadgen -h` in sample-app/. On a
#   shared machine many short rounds judge tracing's cost better (its speed
#   drifts between runs): BENCHMARKS.md uses
#   -rounds 16 -duration 500ms -closed-duration 3s -warmup 1000 (about 5 minutes).
# Run it on an otherwise idle machine: the chain needs every core.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root/sample-app"
exec go run ./cmd/loadgen "$@"
