#!/usr/bin/env bash
# Builds Jaeger v2 (cmd/jaeger) from the pinned wrapper module tools/jaeger
# into .tools/jaeger-<version>/jaeger and prints the binary's absolute path,
# so callers can do: JAEGER_BIN="$(hack/build-jaeger.sh)".
#
# The version comes from versions.env (JAEGER_VERSION); tools/jaeger/go.mod
# must require the same version (checked below) so the two cannot drift.
# A binary that already exists is reused: the path is keyed by version.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# shellcheck source=/dev/null
. ./versions.env
: "${JAEGER_VERSION:?JAEGER_VERSION missing from versions.env}"

. hack/lib.sh
require_pin tools/jaeger github.com/jaegertracing/jaeger "$JAEGER_VERSION"
out="$repo_root/.tools/jaeger-${JAEGER_VERSION}/jaeger"
if [[ ! -x "$out" ]]; then
	# Jaeger's own release flags (static, trimmed), plus -s -w; latestVersion
	# feeds `jaeger version`.
	go_build_atomic "$out" tools/jaeger github.com/jaegertracing/jaeger/cmd/jaeger \
		"-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${JAEGER_VERSION}"
fi
echo "$out"
