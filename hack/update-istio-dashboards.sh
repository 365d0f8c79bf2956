#!/usr/bin/env bash
# Copies Istio's Grafana dashboards (mesh, service, workload, control plane)
# of ISTIO_MODULE_VERSION from the istio.io/istio module's
# manifests/addons/dashboards into components/internal/istiodashboards/dashboards,
# where the stack embeds them: nothing is fetched when the stack runs. Run it
# after changing ISTIO_MODULE_VERSION in versions.env; a test checks the copy.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=/dev/null
source versions.env
dir="$(cd / && go mod download -json "istio.io/istio@${ISTIO_MODULE_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
src="$dir/manifests/addons/dashboards"
out=components/internal/istiodashboards/dashboards
files=(istio-mesh-dashboard.gen.json istio-service-dashboard.json istio-workload-dashboard.json pilot-dashboard.gen.json)
for f in "${files[@]}"; do
  [[ -f "$src/$f" ]] || { echo "update-istio-dashboards: no $f in istio.io/istio@${ISTIO_MODULE_VERSION}'s manifests/addons/dashboards" >&2; exit 1; }
done
rm -f "$out"/*.json
for f in "${files[@]}"; do
  install -m 0644 "$src/$f" "$out/"
done
echo "update-istio-dashboards: ${#files[@]} dashboards of istio.io/istio@${ISTIO_MODULE_VERSION} in $out"
