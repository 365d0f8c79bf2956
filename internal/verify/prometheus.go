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

// requestsQuery sums the requests each app of a namespace received, as its
// sidecars reported them (Istio's standard metric). By app, not workload:
// a hop of several versions is several workloads (service-c-v1,
// service-c-v2) of one app.
func requestsQuery(namespace string) string {
	return fmt.Sprintf(`sum by (destination_app) (istio_requests_total{reporter="destination",destination_workload_namespace=%q})`, namespace)
}

// requestsPerHop asks Prometheus for istio_requests_total and wants a
// non-zero count for every hop: each sidecar was scraped and saw traffic.
func requestsPerHop(ctx context.Context, base, namespace string, hops []string) (string, error) {
	api, err := prometheusAPI(base)
	if err != nil {
		return "", err
	}
	vector, err := queryVector(ctx, api, requestsQuery(namespace))
	if err != nil {
		return "", err
	}
	counts := map[string]float64{}
	for _, s := range vector {
		counts[string(s.Metric["destination_app"])] = float64(s.Value)
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
		return "", fmt.Errorf("istio_requests_total has no requests to %s (apps with requests: %s)", strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return "istio_requests_total: " + strings.Join(seen, ", "), nil
}

// scrapeQueries are each hop's scrape health and its own request counter
// (sample-app's client_golang metrics, which need no sidecar), by app label.
func scrapeQueries(namespace string) (up, requests string) {
	return fmt.Sprintf(`min by (app) (up{namespace=%q})`, namespace),
		fmt.Sprintf(`sum by (app) (sample_app_http_requests_total{namespace=%q})`, namespace)
}

// HopsScraped asks Prometheus (at base) whether it scrapes every hop's pods
// (up == 1 for each) and has seen each hop count requests: the scrape
// annotations, the discovery and the app's metrics all work.
func HopsScraped(ctx context.Context, base, namespace string, hops []string) (string, error) {
	api, err := prometheusAPI(base)
	if err != nil {
		return "", err
	}
	byApp := func(query string) (map[string]float64, error) {
		vector, err := queryVector(ctx, api, query)
		if err != nil {
			return nil, err
		}
		out := map[string]float64{}
		for _, s := range vector {
			out[string(s.Metric["app"])] = float64(s.Value)
		}
		return out, nil
	}
	upQuery, requestsQuery := scrapeQueries(namespace)
	up, err := byApp(upQuery)
	if err != nil {
		return "", err
	}
	requests, err := byApp(requestsQuery)
	if err != nil {
		return "", err
	}
	var seen, problems []string
	for _, hop := range hops {
		app := components.HopServiceName(hop)
		switch u, ok := up[app]; {
		case !ok:
			problems = append(problems, app+" is not scraped")
		case u != 1:
			problems = append(problems, app+" has a target down")
		case requests[app] <= 0:
			problems = append(problems, app+" counted no requests")
		default:
			seen = append(seen, fmt.Sprintf("%s up, %.0f requests", app, requests[app]))
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return strings.Join(seen, ", "), nil
}

// prometheusAPI is the query API of the Prometheus at base (a port-forward's
// local address).
func prometheusAPI(base string) (promv1.API, error) {
	client, err := promapi.NewClient(promapi.Config{Address: base})
	if err != nil {
		return nil, err
	}
	return promv1.NewAPI(client), nil
}

// queryVector runs an instant query and wants a vector back.
func queryVector(ctx context.Context, api promv1.API, query string) (model.Vector, error) {
	value, _, _, err := api.Query(ctx, query, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	vector, ok := value.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("query %s: got a %s, want a vector", query, value.Type())
	}
	return vector, nil
}
