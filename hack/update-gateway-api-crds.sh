#!/usr/bin/env bash
# Copies the Kubernetes Gateway API's standard-channel manifests (its CRDs
# and the safe-upgrades admission policy) of GATEWAY_API_VERSION from the
# sigs.k8s.io/gateway-api module into components/internal/gatewayapi/standard,
# where the stack embeds them: nothing is fetched when the stack runs. Run it
# after changing GATEWAY_API_VERSION in versions.env; a test checks the copy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=/dev/null
source versions.env
dir="$(go mod download -json "sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
[[ -d "$dir/config/crd/standard" ]] || { echo "update-gateway-api-crds: no config/crd/standard in sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}" >&2; exit 1; }
out=components/internal/gatewayapi/standard
rm -f "$out"/*.yaml
install -m 0644 "$dir"/config/crd/standard/*.yaml "$out"/
echo "update-gateway-api-crds: $(ls "$out" | wc -l) manifests of sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION} in $out"
