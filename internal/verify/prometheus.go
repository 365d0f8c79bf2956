package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// requestsQuery sums the requests each workload of a namespace received, as
// its sidecar reported them (Istio's standard metric).
func requestsQuery(namespace string) string {
	return fmt.Sprintf(`sum by (destination_workload) (istio_requests_total{reporter="destination",destination_workload_namespace=%q})`, namespace)
}

// requestsPerHop asks Prometheus for istio_requests_total and wants a
// non-zero count for every hop: each sidecar was scraped and saw traffic.
func requestsPerHop(ctx context.Context, base, namespace string, hops []string) (string, error) {
	client, err := promapi.NewClient(promapi.Config{Address: base})
	if err != nil {
		return "", err
	}
	value, _, _, err := promv1.NewAPI(client).Query(ctx, requestsQuery(namespace), time.Now())
	if err != nil {
		return "", fmt.Errorf("query %s: %w", requestsQuery(namespace), err)
	}
	vector, ok := value.(model.Vector)
	if !ok {
		return "", fmt.Errorf("query %s: got a %s, want a vector", requestsQuery(namespace), value.Type())
	}
	counts := map[string]float64{}
	for _, s := range vector {
		counts[string(s.Metric["destination_workload"])] = float64(s.Value)
	}
	var seen, missing []string
	for _, hop := range hops {
		w := components.HopServiceName(hop)
		if counts[w] > 0 {
			seen = append(seen, fmt.Sprintf("%s %.0f", w, counts[w]))
		} else {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		var have []string
		for w := range counts {
			have = append(have, w)
		}
		sort.Strings(have)
		return "", fmt.Errorf("istio_requests_total has no requests to %s (workloads with requests: %s)", strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return "istio_requests_total: " + strings.Join(seen, ", "), nil
}
