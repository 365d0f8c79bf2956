package verify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// versionVector is a Prometheus instant-query answer: version -> count.
func versionVector(counts map[string]int) string {
	var results []string
	for v, n := range counts {
		results = append(results, fmt.Sprintf(`{"metric":{"version":%q},"value":[1764270000,"%d"]}`, v, n))
	}
	return fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(results, ","))
}

// TestTrafficSplit: the split is measured from the hop's own counters,
// HTTP and gRPC summed, reported next to the weights, and judged only
// where chance cannot explain it: a weighted version no request reached.
func TestTrafficSplit(t *testing.T) {
	weights := HopVersions{Weights: map[string]int{"v1": 80, "v2": 20}}
	tests := []struct {
		name       string
		versions   HopVersions
		http, grpc map[string]int
		wantPass   string
		wantFail   string
	}{
		{name: "split as weighted, over both transports", versions: weights,
			http: map[string]int{"v1": 20, "v2": 5}, grpc: map[string]int{"v1": 220, "v2": 55},
			wantPass: "service-c over 300 requests: v1 240 (80.0%, weight 80), v2 60 (20.0%, weight 20)"},
		{name: "a weighted version never reached in 300 requests", versions: weights,
			grpc: map[string]int{"v1": 300}, wantFail: "service-c: no request of 300 reached v2 (weight 20)"},
		{name: "too few requests to tell", versions: weights,
			grpc: map[string]int{"v1": 10}, wantPass: "v2 0 (0.0%, weight 20)"},
		{name: "header routes noted", versions: HopVersions{Weights: map[string]int{"v1": 100, "v2": 0}, HeaderRoutes: 1},
			grpc: map[string]int{"v1": 90, "v2": 10}, wantPass: "v2 10 (10.0%, weight 0) (1 header route(s) count too)"},
		{name: "a version the stack does not configure", versions: weights,
			grpc: map[string]int{"v1": 80, "v2": 20, "v3": 4}, wantPass: `"v3" 4: not a configured version`},
		{name: "nothing counted", versions: weights, wantFail: "service-c counted no request into any version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var queries []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query" {
					http.NotFound(w, r)
					return
				}
				q := r.Form.Get("query")
				queries = append(queries, q)
				w.Header().Set("Content-Type", "application/json")
				switch {
				case strings.Contains(q, `sample_app_http_requests_total{namespace="playground",app="service-c",route="/service"}`):
					fmt.Fprint(w, versionVector(tt.http))
				case strings.Contains(q, `sample_app_grpc_requests_total{namespace="playground",app="service-c",method="playk8s.sample.v1.Hop/Service"}`):
					fmt.Fprint(w, versionVector(tt.grpc))
				default:
					http.Error(w, "unexpected query "+q, http.StatusBadRequest)
				}
			}))
			defer srv.Close()
			detail, err := TrafficSplit(context.Background(), srv.URL, testNS, map[string]HopVersions{"c": tt.versions})
			if len(queries) != 2 || !strings.HasPrefix(queries[0], "sum by (version) ") {
				t.Errorf("queries %q, want the hop's HTTP and gRPC counters by version", queries)
			}
			if tt.wantFail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
					t.Errorf("got %q, %v; want a failure containing %q", detail, err, tt.wantFail)
				}
				return
			}
			if err != nil || !strings.Contains(detail, tt.wantPass) {
				t.Errorf("got %q, %v; want a pass containing %q", detail, err, tt.wantPass)
			}
		})
	}
}

// TestVersionsFromOutputs: output chainVersions as the Automation API
// returns it becomes the target's versions.
func TestVersionsFromOutputs(t *testing.T) {
	got := TargetFromOutputs(map[string]interface{}{
		"chainVersions": map[string]interface{}{"c": map[string]interface{}{
			"weights": map[string]interface{}{"v1": 80.0, "v2": 20.0}, "headerRoutes": 1.0,
		}},
	}).Versions
	if hv := got["c"]; len(got) != 1 || hv.Weights["v1"] != 80 || hv.Weights["v2"] != 20 || hv.HeaderRoutes != 1 {
		t.Errorf("versions %+v", got)
	}
	if got := TargetFromOutputs(map[string]interface{}{}).Versions; len(got) != 0 {
		t.Errorf("a stack without the output has versions %+v", got)
	}
}
