package components_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
)

func intPtr(n int) *int { return &n }

// bookinfoTraffic is hop c as Istio's tasks run bookinfo's reviews: two
// versions split 80/20, jason's requests to v2, and every resilience
// setting.
func bookinfoTraffic() map[string]components.HopTraffic {
	return map[string]components.HopTraffic{"c": {
		Versions: []components.HopVersion{
			{Name: "v1", Weight: 80},
			{Name: "v2", Weight: 20, Replicas: intPtr(2), Image: "ghcr.io/o/sample-app:2"},
		},
		Match:   []components.HeaderRoute{{Headers: map[string]components.StringMatch{"end-user": {Exact: "jason"}}, Version: "v2"}},
		Timeout: "1500ms",
		Retries: &components.HopRetries{Attempts: 3, PerTryTimeout: "500ms", RetryOn: "unavailable,5xx"},
		Fault: &components.HopFault{
			Delay: &components.FaultDelay{FixedDelay: "7s", Percent: 10},
			Abort: &components.FaultAbort{GRPCStatus: "RESOURCE_EXHAUSTED", Percent: 5},
		},
		ConnectionPool:   &components.ConnectionPool{TCP: &components.TCPPool{MaxConnections: 1}, HTTP: &components.HTTPPool{HTTP2MaxRequests: 10, MaxRequestsPerConnection: 1}},
		OutlierDetection: &components.OutlierDetection{Consecutive5xxErrors: 1, Interval: "1s", BaseEjectionTime: "3m", MaxEjectionPercent: 100},
	}}
}

// TestHopTrafficRendersIstioTasks: a hop with versions and rules gets one
// Deployment per version behind its one Service, a DestinationRule of
// version subsets with its circuit breaking, and a VirtualService whose
// routes carry the header match first, then the weights, each with the
// hop's timeout, retries and fault; every hop forwards the matched header.
func TestHopTrafficRendersIstioTasks(t *testing.T) {
	spec := chainSpec()
	spec.Traffic = bookinfoTraffic()
	mocks, _, err := runChain(t, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mocks.OfType(deploymentType); len(got) != 4 {
		t.Fatalf("%d Deployments, want service-a, service-b, service-c-v1, service-c-v2", len(got))
	}
	for _, tc := range []struct {
		name, version, image string
		replicas             float64
	}{
		{"service-c-v1", "v1", "ghcr.io/play-kubernetes/sample-app:0.1.0", 1},
		{"service-c-v2", "v2", "ghcr.io/o/sample-app:2", 2},
	} {
		d := mocks.Find(t, deploymentType, tc.name)
		want := map[string]interface{}{"app": "service-c", "version": tc.version}
		if got := d.Get("spec.selector.matchLabels"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s selects %v, want %v (a version's Deployment must not adopt the other's pods)", tc.name, got, want)
		}
		if got := d.Get("spec.template.metadata.labels"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s pod labels %v, want %v", tc.name, got, want)
		}
		if d.Get("spec.replicas") != tc.replicas || d.Get("spec.template.spec.containers.0.image") != tc.image {
			t.Errorf("%s: %v replicas of %v, want %v of %s", tc.name, d.Get("spec.replicas"), d.Get("spec.template.spec.containers.0.image"), tc.replicas, tc.image)
		}
		if env := envOf(d); env["SERVICE_VERSION"] != tc.version || env["SERVICE_TYPE"] != "C" {
			t.Errorf("%s env %v, want SERVICE_TYPE C and SERVICE_VERSION %s", tc.name, env, tc.version)
		}
	}
	for _, hop := range []string{"service-a", "service-b", "service-c-v1"} {
		if got := envOf(mocks.Find(t, deploymentType, hop))["FORWARD_HEADERS"]; got != "end-user" {
			t.Errorf("%s forwards %q, want end-user (the header hop c's route matches)", hop, got)
		}
	}
	if env := envOf(mocks.Find(t, deploymentType, "service-a")); env["SERVICE_VERSION"] != nil {
		t.Errorf("service-a, a hop without versions, reports version %v", env["SERVICE_VERSION"])
	}
	if got := mocks.Find(t, "kubernetes:policy/v1:PodDisruptionBudget", "service-c").Get("spec.selector.matchLabels"); !reflect.DeepEqual(got, map[string]interface{}{"app": "service-c"}) {
		t.Errorf("service-c's budget selects %v, want every version (app service-c): together they are 3 replicas", got)
	}

	dr := mocks.Find(t, destinationRuleType, "service-c-destination")
	if got := dr.Get("spec.subsets"); !reflect.DeepEqual(got, []interface{}{
		map[string]interface{}{"name": "v1", "labels": map[string]interface{}{"version": "v1"}},
		map[string]interface{}{"name": "v2", "labels": map[string]interface{}{"version": "v2"}},
	}) {
		t.Errorf("subsets %v", got)
	}
	if got := dr.Get("spec.trafficPolicy"); !reflect.DeepEqual(got, map[string]interface{}{
		"connectionPool": map[string]interface{}{
			"tcp":  map[string]interface{}{"maxConnections": 1.0},
			"http": map[string]interface{}{"http2MaxRequests": 10.0, "maxRequestsPerConnection": 1.0},
		},
		"outlierDetection": map[string]interface{}{"consecutive5xxErrors": 1.0, "interval": "1s", "baseEjectionTime": "180s", "maxEjectionPercent": 100.0},
	}) {
		t.Errorf("traffic policy %v", got)
	}

	vs := mocks.Find(t, virtualServiceType, "service-c-routes")
	host := "service-c.playground.svc.cluster.local"
	if got := vs.Get("spec.hosts"); !reflect.DeepEqual(got, []interface{}{host}) {
		t.Errorf("hosts %v, want the hop's full name", got)
	}
	port := map[string]interface{}{"number": 8000.0}
	policy := map[string]interface{}{
		"timeout": "1.500s",
		"retries": map[string]interface{}{"attempts": 3.0, "perTryTimeout": "0.500s", "retryOn": "unavailable,5xx"},
		"fault": map[string]interface{}{
			"delay": map[string]interface{}{"fixedDelay": "7s", "percentage": map[string]interface{}{"value": 10.0}},
			"abort": map[string]interface{}{"grpcStatus": "RESOURCE_EXHAUSTED", "percentage": map[string]interface{}{"value": 5.0}},
		},
	}
	want := []interface{}{
		withFields(policy, map[string]interface{}{
			"name":  "match-0-v2",
			"match": []interface{}{map[string]interface{}{"headers": map[string]interface{}{"end-user": map[string]interface{}{"exact": "jason"}}}},
			"route": []interface{}{map[string]interface{}{"destination": map[string]interface{}{"host": host, "subset": "v2", "port": port}}},
		}),
		withFields(policy, map[string]interface{}{
			"name": "default",
			"route": []interface{}{
				map[string]interface{}{"destination": map[string]interface{}{"host": host, "subset": "v1", "port": port}, "weight": 80.0},
				map[string]interface{}{"destination": map[string]interface{}{"host": host, "subset": "v2", "port": port}, "weight": 20.0},
			},
		}),
	}
	if got := vs.Get("spec.http"); !reflect.DeepEqual(got, want) {
		t.Errorf("routes\n got %v\nwant %v", got, want)
	}
	var names []string
	for _, r := range mocks.OfType(virtualServiceType) {
		names = append(names, r.Name)
	}
	if want := []string{"service-c-routes", "virtual-service"}; !slices.Equal(sorted(names), want) {
		t.Errorf("VirtualServices %v, want %v: hops without rules get none", names, want)
	}
}

// TestHopTrafficOverGRPC: over proxyless gRPC each port of the
// DestinationRule carries the circuit breaking beside its TLS (Istio's
// port settings do not inherit the rule's), and the settings gRPC clients
// do not act on are named for a warning.
func TestHopTrafficOverGRPC(t *testing.T) {
	spec := grpcChainSpec()
	spec.Traffic = bookinfoTraffic()
	mocks, _, err := runChain(t, spec, withProxyless)
	if err != nil {
		t.Fatal(err)
	}
	dr := mocks.Find(t, destinationRuleType, "service-c-destination")
	ports := dr.Get("spec.trafficPolicy.portLevelSettings").([]interface{})
	if len(ports) != 2 {
		t.Fatalf("%d port settings, want the gRPC and HTTP ports", len(ports))
	}
	for _, p := range ports {
		m := p.(map[string]interface{})
		if m["connectionPool"] == nil || m["outlierDetection"] == nil || m["tls"] == nil {
			t.Errorf("port %v settings %v, want its TLS, connection pool and outlier detection", m["port"], m)
		}
	}
	if dr.Get("spec.trafficPolicy.connectionPool") != nil {
		t.Error("the rule-level connection pool is set beside port settings that replace it")
	}
	// Istio cannot tell which of two ports a destination means without
	// one: each port gets its routes, matching it, to it.
	var routes []string
	for _, r := range mocks.Find(t, virtualServiceType, "service-c-routes").Get("spec.http").([]interface{}) {
		m := r.(map[string]interface{})
		matchPort := m["match"].([]interface{})[0].(map[string]interface{})["port"]
		destPort := m["route"].([]interface{})[0].(map[string]interface{})["destination"].(map[string]interface{})["port"].(map[string]interface{})["number"]
		routes = append(routes, fmt.Sprintf("%s %v->%v", m["name"], matchPort, destPort))
	}
	if want := []string{"match-0-v2-8000 8000->8000", "default-8000 8000->8000", "match-0-v2-8001 8001->8001", "default-8001 8001->8001"}; !slices.Equal(routes, want) {
		t.Errorf("routes %v, want %v", routes, want)
	}
	got := spec.ProxylessIgnored()
	for _, want := range []string{
		"chain:traffic.c.outlierDetection", "chain:traffic.c.connectionPool.tcp", "chain:traffic.c.connectionPool.http",
		"chain:traffic.c.retries.perTryTimeout", "chain:traffic.c.retries.retryOn: gRPC clients retry on cancelled, deadline-exceeded, internal, resource-exhausted, unavailable only, not 5xx",
	} {
		if !slices.ContainsFunc(got, func(m string) bool { return strings.HasPrefix(m, want) }) {
			t.Errorf("no warning starting %q in %v", want, got)
		}
	}
	if n := len(got); n != 5 {
		t.Errorf("%d warnings, want 5: %v", n, got)
	}
	http := spec
	http.Transport = components.ChainTransportHTTP
	if w := http.ProxylessIgnored(); len(w) != 0 {
		t.Errorf("warnings over http, where Envoy acts on every setting: %v", w)
	}
}

// TestFirstHopTrafficAtTheIngress: the ingress gateway's VirtualService
// carries the first hop's routes (a mesh VirtualService does not bind to
// the gateway), on the hop's HTTP port.
func TestFirstHopTrafficAtTheIngress(t *testing.T) {
	spec := chainSpec()
	spec.Traffic = map[string]components.HopTraffic{"a": {Versions: []components.HopVersion{{Name: "v1", Weight: 50}, {Name: "v2", Weight: 50}}}}
	mocks, _, err := runChain(t, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := mocks.Find(t, virtualServiceType, "virtual-service").Get("spec.http.0.route")
	dest := func(subset string) interface{} {
		return map[string]interface{}{"destination": map[string]interface{}{"host": "service-a", "subset": subset, "port": map[string]interface{}{"number": 8000.0}}, "weight": 50.0}
	}
	if want := []interface{}{dest("v1"), dest("v2")}; !reflect.DeepEqual(got, want) {
		t.Errorf("ingress routes %v, want %v", got, want)
	}
}

// TestDefaultChainHasNoTrafficRules: without chain:traffic nothing
// changes: no VirtualService or DestinationRule per hop, the Deployments
// named and labeled as before, no header forwarded.
func TestDefaultChainHasNoTrafficRules(t *testing.T) {
	mocks, _, err := runChain(t, chainSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mocks.OfType(virtualServiceType)); n != 1 {
		t.Errorf("%d VirtualServices, want the ingress's alone", n)
	}
	d := mocks.Find(t, deploymentType, "service-b")
	if got := d.Get("spec.selector.matchLabels"); !reflect.DeepEqual(got, map[string]interface{}{"app": "service-b"}) {
		t.Errorf("selector %v changed: a Deployment's selector is immutable, so existing stacks would replace it", got)
	}
	if env := envOf(d); env["FORWARD_HEADERS"] != nil || env["SERVICE_VERSION"] != nil {
		t.Errorf("env %v, want no FORWARD_HEADERS or SERVICE_VERSION", env)
	}
}

// TestHopTrafficRefusals: each rule refuses with the key's path and what
// is accepted.
func TestHopTrafficRefusals(t *testing.T) {
	two := func(w1, w2 int) []components.HopVersion {
		return []components.HopVersion{{Name: "v1", Weight: w1}, {Name: "v2", Weight: w2}}
	}
	tests := []struct {
		name     string
		traffic  map[string]components.HopTraffic
		path     string
		accepted string
	}{
		{"unknown hop", map[string]components.HopTraffic{"d": {Timeout: "1s"}}, "traffic[d]", "a hop of chain:hops (a, b, c)"},
		{"weights not 100", map[string]components.HopTraffic{"b": {Versions: two(50, 40)}}, "traffic[b].versions", "weights summing to 100"},
		{"weight beyond 100", map[string]components.HopTraffic{"b": {Versions: two(150, -50)}}, "traffic[b].versions[0].weight", "0"},
		{"one version weighing 40", map[string]components.HopTraffic{"b": {Versions: []components.HopVersion{{Name: "v1", Weight: 40}}}}, "traffic[b].versions[0].weight", "100 or unset"},
		{"version not a label", map[string]components.HopTraffic{"b": {Versions: []components.HopVersion{{Name: "V_1", Weight: 100}}}}, "traffic[b].versions[0].name", "DNS-1123 label"},
		{"version twice", map[string]components.HopTraffic{"b": {Versions: []components.HopVersion{{Name: "v1", Weight: 50}, {Name: "v1", Weight: 50}}}}, "traffic[b].versions[1].name", "unique version names"},
		{"a version only matches reach", map[string]components.HopTraffic{"b": {Versions: two(100, 0), Match: []components.HeaderRoute{{Headers: map[string]components.StringMatch{"end-user": {Prefix: "j"}}, Version: "v2"}}}}, "", ""},
		{"match to no version", map[string]components.HopTraffic{"b": {Versions: two(100, 0), Match: []components.HeaderRoute{{Headers: map[string]components.StringMatch{"end-user": {Exact: "jason"}}, Version: "v3"}}}}, "traffic[b].match[0].version", "a version of this hop's versions"},
		{"match without versions", map[string]components.HopTraffic{"b": {Match: []components.HeaderRoute{{Headers: map[string]components.StringMatch{"end-user": {Exact: "jason"}}, Version: "v2"}}}}, "traffic[b].match[0].version", "(it has none)"},
		{"upper-case header", map[string]components.HopTraffic{"b": {Versions: two(100, 0), Match: []components.HeaderRoute{{Headers: map[string]components.StringMatch{"End-User": {Exact: "jason"}}, Version: "v2"}}}}, "traffic[b].match[0].headers[End-User]", "lower-case HTTP header name"},
		{"two matchers for one header", map[string]components.HopTraffic{"b": {Versions: two(100, 0), Match: []components.HeaderRoute{{Headers: map[string]components.StringMatch{"end-user": {Exact: "jason", Prefix: "j"}}, Version: "v2"}}}}, "traffic[b].match[0].headers[end-user]", "exactly one of exact, prefix or regex"},
		{"timeout not a duration", map[string]components.HopTraffic{"b": {Timeout: "2"}}, "traffic[b].timeout", "a duration of at least 1ms"},
		{"retry on an unknown condition", map[string]components.HopTraffic{"b": {Retries: &components.HopRetries{Attempts: 2, RetryOn: "unavailable,sometimes"}}}, "traffic[b].retries.retryOn", "an HTTP status code or one of 5xx"},
		{"abort with both statuses", map[string]components.HopTraffic{"b": {Fault: &components.HopFault{Abort: &components.FaultAbort{HTTPStatus: 503, GRPCStatus: "UNAVAILABLE", Percent: 100}}}}, "traffic[b].fault.abort", "exactly one of httpStatus or grpcStatus"},
		{"abort with a lower-case gRPC status", map[string]components.HopTraffic{"b": {Fault: &components.HopFault{Abort: &components.FaultAbort{GRPCStatus: "unavailable", Percent: 100}}}}, "traffic[b].fault.abort.grpcStatus", "UNAVAILABLE"},
		{"delay beyond 100 percent", map[string]components.HopTraffic{"b": {Fault: &components.HopFault{Delay: &components.FaultDelay{FixedDelay: "1s", Percent: 101}}}}, "traffic[b].fault.delay.percent", "number from 0 to 100"},
		{"fault of nothing", map[string]components.HopTraffic{"b": {Fault: &components.HopFault{}}}, "traffic[b].fault", "a delay, an abort or both"},
		{"negative connections", map[string]components.HopTraffic{"b": {ConnectionPool: &components.ConnectionPool{TCP: &components.TCPPool{MaxConnections: -1}}}}, "traffic[b].connectionPool.tcp.maxConnections", ">= 0"},
		{"ejecting more than all", map[string]components.HopTraffic{"b": {OutlierDetection: &components.OutlierDetection{MaxEjectionPercent: 101}}}, "traffic[b].outlierDetection.maxEjectionPercent", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := chainSpec()
			spec.Traffic = tt.traffic
			errs := spec.Validate()
			if tt.path == "" {
				if len(errs) != 0 {
					t.Errorf("refused %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("accepted %+v", tt.traffic)
			}
			for _, e := range errs {
				if e.Field == tt.path && strings.Contains(e.Error(), tt.accepted) {
					return
				}
			}
			t.Errorf("errors %v, want one at %s accepting %q", errs, tt.path, tt.accepted)
		})
	}
}

// TestFirstHopTrafficRefusedWithGatewayAPI: the Gateway API's HTTPRoute
// cannot carry the first hop's rules; later hops' are fine.
func TestFirstHopTrafficRefusedWithGatewayAPI(t *testing.T) {
	spec := chainSpec()
	spec.Traffic = map[string]components.HopTraffic{"a": {Timeout: "1s"}}
	errs := components.ChainTrafficRules(spec, components.IngressAPIGateway)
	if len(errs) != 1 || errs[0].Field != "traffic[a]" || !strings.Contains(errs[0].Error(), "rules on later hops only while istio:ingress.api is gateway-api") {
		t.Errorf("errors %v", errs)
	}
	if errs := components.ChainTrafficRules(spec, components.IngressAPIIstio); len(errs) != 0 {
		t.Errorf("refused with Istio's ingress API: %v", errs)
	}
	spec.Traffic = map[string]components.HopTraffic{"b": {Timeout: "1s"}}
	if errs := components.ChainTrafficRules(spec, components.IngressAPIGateway); len(errs) != 0 {
		t.Errorf("refused a later hop's rules: %v", errs)
	}
}

func withFields(base, extra map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// envOf is a Deployment's first container's environment by name.
func envOf(d *pulumimock.Resource) map[string]interface{} {
	env := map[string]interface{}{}
	list, _ := d.Get("spec.template.spec.containers.0.env").([]interface{})
	for _, e := range list {
		m := e.(map[string]interface{})
		env[m["name"].(string)] = m["value"]
	}
	return env
}

// TestVersionNamesCollide: a version's Deployment service-<hop>-<version>
// that another hop's or version's name already is would be one object the
// API server refuses the second time: refused up front, and the web
// server may not take a version's name either.
func TestVersionNamesCollide(t *testing.T) {
	spec := chainSpec()
	spec.Hops = []string{"a", "b", "b-v1", "b-x"}
	half := func(names ...string) []components.HopVersion {
		return []components.HopVersion{{Name: names[0], Weight: 50}, {Name: names[1], Weight: 50}}
	}
	spec.Traffic = map[string]components.HopTraffic{
		"b":   {Versions: half("v1", "x-v1")},
		"b-x": {Versions: half("v1", "v2")},
	}
	var got []string
	for _, e := range spec.Validate() {
		got = append(got, e.Field+": "+e.Detail)
	}
	want := []string{
		"traffic[b].versions[0].name: a name whose Deployment service-b-v1 no other hop or version has (it is hop b-v1's)",
		"traffic[b-x].versions[0].name: a name whose Deployment service-b-x-v1 no other hop or version has (it is hop b's version x-v1's)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors\n got %q\nwant %q", got, want)
	}

	web := webServerSpec()
	web.Name = "service-b-x-v2"
	if errs := components.WebServerCollisions(web, meshSpec(), spec); len(errs) != 1 || errs[0].Field != "name" {
		t.Errorf("a web server named like a version's Deployment: %v", errs)
	}
}
