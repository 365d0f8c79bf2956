#!/usr/bin/env bash
# Measures what sample-app's image weighs without a container engine: the
# static binary built exactly as sample-app/Dockerfile's build stage builds
# it (its `go build` line is read from the Dockerfile, so the two cannot
# drift), its gzip size (what the image layer costs to pull), and the base
# image it is copied onto, which cannot be pulled here.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root/sample-app"

# The build command, joined across its continuation lines.
build="$(sed -n '/^RUN CGO_ENABLED=0/,/[^\\]$/p' Dockerfile | sed 's/\\$//' | tr -s ' \n' ' ')"
build="${build#RUN }"
[[ "$build" == *"go build"* ]] || { echo "bench-image-size: no go build line in sample-app/Dockerfile" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# The Dockerfile's TARGETOS/TARGETARCH, for this machine's platform.
build="${build//\$\{TARGETOS\}/$(go env GOOS)}"
build="${build//\$\{TARGETARCH\}/$(go env GOARCH)}"
build="${build//\/out\/sample-app/$out/sample-app}"
echo "bench-image-size: $build" >&2
eval "$build"

bytes=$(stat -c %s "$out/sample-app")
gz=$(gzip -6 -c "$out/sample-app" | wc -c)
base="$(sed -n 's/^FROM \([^ ]*\)$/\1/p' Dockerfile | tail -1)"
printf '| artifact | bytes | MiB |\n|---|---:|---:|\n'
printf '| sample-app binary (%s, %s) | %d | %.1f |\n' "$(go env GOOS)/$(go env GOARCH)" "$(go env GOVERSION)" "$bytes" "$(awk "BEGIN{print $bytes/1048576}")"
printf '| the same, gzip -6 (its image layer, compressed) | %d | %.1f |\n' "$gz" "$(awk "BEGIN{print $gz/1048576}")"
printf '| base image %s | - | ~2 (distroless README: static is "around 2 MiB"; not pullable here) |\n' "$base"
