package verify

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
)

// CheckTrafficSplit is the data-plane check of hops run in versions.
const CheckTrafficSplit = "traffic splits across a hop's versions"

// HopVersions is what a hop run in versions was configured with (output
// chainVersions): each version's weight in percent, and how many header
// routes take requests before the weights do.
type HopVersions struct {
	Weights      map[string]int
	HeaderRoutes int
}

// neverReached is the probability below which a version of positive
// weight that counted no request is judged unreachable: with weight p and
// n requests to the hop, chance alone leaves it at 0 with (1-p)^n.
const neverReached = 1e-6

// splitQueries count the chain's calls into app by version, as the hop's
// own counters saw them (sample-app's client_golang metrics, scraped with
// the pods' labels): /service over HTTP, the Hop/Service method over gRPC.
// Probes and scrapes are other routes and not counted.
func splitQueries(namespace, app string) []string {
	return []string{
		fmt.Sprintf(`sum by (version) (sample_app_http_requests_total{namespace=%q,app=%q,route="/service"})`, namespace, app),
		fmt.Sprintf(`sum by (version) (sample_app_grpc_requests_total{namespace=%q,app=%q,method="playk8s.sample.v1.Hop/Service"})`, namespace, app),
	}
}

// TrafficSplit asks Prometheus (at base) how the requests into each hop
// run in versions split across them since its pods started, and reports
// that next to the configured weights. It fails when a version of
// positive weight counted no request although the hop counted so many
// that chance would leave it empty less than once in a million; a
// measured share is reported, not judged, since header routes and
// earlier weights count too.
func TrafficSplit(ctx context.Context, base, namespace string, versions map[string]HopVersions) (string, error) {
	api, err := prometheusAPI(base)
	if err != nil {
		return "", err
	}
	var seen, problems []string
	for _, hop := range slices.Sorted(maps.Keys(versions)) {
		app := components.HopServiceName(hop)
		counts := map[string]float64{}
		for _, q := range splitQueries(namespace, app) {
			vector, err := queryVector(ctx, api, q)
			if err != nil {
				return "", err
			}
			for _, s := range vector {
				counts[string(s.Metric["version"])] += float64(s.Value)
			}
		}
		report, problem := judgeSplit(app, versions[hop], counts)
		seen = append(seen, report)
		if problem != "" {
			problems = append(problems, problem)
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s (measured: %s)", strings.Join(problems, "; "), strings.Join(seen, "; "))
	}
	return strings.Join(seen, "; "), nil
}

// judgeSplit reports app's requests by version against the weights, and
// names a weighted version no request reached where chance cannot
// explain it.
func judgeSplit(app string, hv HopVersions, counts map[string]float64) (report, problem string) {
	total := 0.0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return app + ": no requests counted yet", app + " counted no request into any version"
	}
	var parts, unreached []string
	for _, v := range slices.Sorted(maps.Keys(hv.Weights)) {
		w := hv.Weights[v]
		parts = append(parts, fmt.Sprintf("%s %.0f (%.1f%%, weight %d)", v, counts[v], 100*counts[v]/total, w))
		if counts[v] == 0 && w > 0 && math.Pow(1-float64(w)/100, total) < neverReached {
			unreached = append(unreached, fmt.Sprintf("%s (weight %d)", v, w))
		}
	}
	var others []string
	for v, n := range counts {
		if _, ok := hv.Weights[v]; !ok && n > 0 {
			others = append(others, fmt.Sprintf("%q %.0f: not a configured version", v, n))
		}
	}
	slices.Sort(others)
	parts = append(parts, others...)
	report = fmt.Sprintf("%s over %.0f requests: %s", app, total, strings.Join(parts, ", "))
	if hv.HeaderRoutes > 0 {
		report += fmt.Sprintf(" (%d header route(s) count too)", hv.HeaderRoutes)
	}
	if len(unreached) > 0 {
		problem = fmt.Sprintf("%s: no request of %.0f reached %s", app, total, strings.Join(unreached, ", "))
	}
	return report, problem
}
