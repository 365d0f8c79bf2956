package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
)

// jaegerTraces is the part of Jaeger's query API answer (GET /api/traces)
// the check reads: each trace's spans, how they link, and the services
// that reported them.
type jaegerTraces struct {
	Data []jaegerTrace `json:"data"`
}

type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID     string `json:"spanID"`
		ProcessID  string `json:"processID"`
		References []struct {
			RefType string `json:"refType"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

type jaegerServices struct {
	Data []string `json:"data"`
}

// roots counts the spans whose parent is not in the trace: one request
// through the whole chain is one tree, so exactly one root. A hop that
// dropped the trace context starts a tree of its own.
func (tr jaegerTrace) roots() int {
	ids := map[string]bool{}
	for _, sp := range tr.Spans {
		ids[sp.SpanID] = true
	}
	n := 0
	for _, sp := range tr.Spans {
		linked := false
		for _, ref := range sp.References {
			linked = linked || (ref.RefType == "CHILD_OF" && ids[ref.SpanID])
		}
		if !linked {
			n++
		}
	}
	return n
}

// TraceThroughHops asks Jaeger (at base, e.g. a port-forward of the
// stack's jaegerPortForward) for recent traces of the first hop and wants
// one holding spans of every hop, all in one parent-linked tree: the
// request went A -> B -> C in one trace, so the trace context crossed
// every hop (and sidecar, where there are sidecars).
func TraceThroughHops(ctx context.Context, client *http.Client, base string, hops []string) (string, error) {
	var services jaegerServices
	if err := getJSON(ctx, client, base+"/api/services", &services); err != nil {
		return "", err
	}
	entry := servicesOfHop(services.Data, hops[0])
	if len(entry) == 0 {
		return "", fmt.Errorf("jaeger knows no service of hop %s (services: %s)", components.HopServiceName(hops[0]), strings.Join(services.Data, ", "))
	}
	best := ""
	for _, svc := range entry {
		q := url.Values{"service": {svc}, "lookback": {"1h"}, "limit": {"50"}}
		var traces jaegerTraces
		if err := getJSON(ctx, client, base+"/api/traces?"+q.Encode(), &traces); err != nil {
			return "", err
		}
		for _, tr := range traces.Data {
			var names []string
			for _, sp := range tr.Spans {
				names = append(names, tr.Processes[sp.ProcessID].ServiceName)
			}
			missing := missingHops(names, hops)
			roots := tr.roots()
			if len(missing) == 0 && roots == 1 {
				return fmt.Sprintf("trace %s: %d parent-linked spans from %s", tr.TraceID, len(tr.Spans), strings.Join(uniqueSorted(names), ", ")), nil
			}
			if best == "" && len(missing) > 0 {
				best = fmt.Sprintf("trace %s lacks %s", tr.TraceID, strings.Join(missing, ", "))
			}
			if len(missing) == 0 {
				best = fmt.Sprintf("trace %s has every hop but falls apart into %d trees (a hop did not pass the trace context on)", tr.TraceID, roots)
			}
		}
	}
	if best == "" {
		best = "no traces of " + strings.Join(entry, ", ")
	}
	return "", fmt.Errorf("no trace through every hop: %s", best)
}

// hopService matches a hop's service name in Jaeger: the app's own
// (service-a) or the sidecar's (service-a.<namespace>).
func hopService(name, hop string) bool {
	svc := components.HopServiceName(hop)
	return name == svc || strings.HasPrefix(name, svc+".")
}

func servicesOfHop(services []string, hop string) []string {
	var out []string
	for _, s := range services {
		if hopService(s, hop) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func missingHops(services, hops []string) []string {
	var missing []string
	for _, hop := range hops {
		found := false
		for _, s := range services {
			if hopService(s, hop) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, components.HopServiceName(hop))
		}
	}
	return missing
}

func uniqueSorted(in []string) []string {
	set := map[string]bool{}
	for _, s := range in {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func getJSON(ctx context.Context, client *http.Client, u string, into interface{}) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
