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

wrapper_dir="tools/jaeger"
if ! grep -Eq "^[[:space:]]*github.com/jaegertracing/jaeger ${JAEGER_VERSION}([[:space:]]|$)" "$wrapper_dir/go.mod"; then
	echo "build-jaeger: $wrapper_dir/go.mod does not require github.com/jaegertracing/jaeger ${JAEGER_VERSION} (versions.env)." >&2
	echo "build-jaeger: run: (cd $wrapper_dir && go get -tool github.com/jaegertracing/jaeger/cmd/jaeger@${JAEGER_VERSION})" >&2
	exit 1
fi

out_dir="$repo_root/.tools/jaeger-${JAEGER_VERSION}"
out="$out_dir/jaeger"
if [[ -x "$out" ]]; then
	echo "$out"
	exit 0
fi

mkdir -p "$out_dir"
# Build to a temporary name and rename, so an interrupted build never leaves
# a half-written binary that the existence check above would then trust.
tmp="$(mktemp "$out_dir/.jaeger.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "build-jaeger: building jaeger ${JAEGER_VERSION} (takes several minutes on a cold build cache)..." >&2
# Same flags as Jaeger's own release build (static, trimmed), plus -s -w.
# latestVersion feeds `jaeger version`.
(
	cd "$wrapper_dir"
	CGO_ENABLED=0 go build -mod=readonly -trimpath \
		-ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${JAEGER_VERSION}" \
		-o "$tmp" github.com/jaegertracing/jaeger/cmd/jaeger
)
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "$out"
