package verify

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// replace swaps the object with the same kind, namespace and name.
func replace(objs []runtime.Object, with runtime.Object) []runtime.Object {
	key := func(o runtime.Object) string {
		m := o.(interface {
			GetNamespace() string
			GetName() string
		})
		return fmt.Sprintf("%T/%s/%s", o, m.GetNamespace(), m.GetName())
	}
	out := make([]runtime.Object, 0, len(objs)+1)
	found := false
	for _, o := range objs {
		if key(o) == key(with) {
			out = append(out, with)
			found = true
			continue
		}
		out = append(out, o)
	}
	if !found {
		out = append(out, with)
	}
	return out
}

func remove(objs []runtime.Object, drop func(runtime.Object) bool) []runtime.Object {
	var out []runtime.Object
	for _, o := range objs {
		if !drop(o) {
			out = append(out, o)
		}
	}
	return out
}

func TestAPIChecks(t *testing.T) {
	stuck := deployment(testNS, "webserver", 3, 3)
	stuck.Status.UpdatedReplicas = 1
	stuck.Status.Replicas = 4
	stale := deployment(testNS, "service-b", 1, 1)
	stale.Generation = 3
	tests := []struct {
		name     string
		objs     []runtime.Object
		vs       *vsArgs
		check    string
		wantFail string // substring of the failure; "" means the check passes
		wantPass string // substring of the pass detail
	}{
		{name: "injection label", objs: healthyObjects(true), check: CheckInjection, wantPass: "istio-injection=enabled"},
		{name: "injection label missing", objs: replace(healthyObjects(true), namespace(testNS, nil)), check: CheckInjection, wantFail: `istio-injection=""`},
		{name: "all deployments available", objs: healthyObjects(true), check: CheckDeployments, wantPass: "playground/webserver"},
		{name: "webserver short of replicas", objs: replace(healthyObjects(true), deployment(testNS, "webserver", 3, 2)), check: CheckDeployments, wantFail: "playground/webserver InProgress: Available: 2/3"},
		{name: "rollout in progress", objs: replace(healthyObjects(true), stuck), check: CheckDeployments, wantFail: "playground/webserver InProgress: Updated: 1/3"},
		{name: "spec change not yet observed", objs: replace(healthyObjects(true), stale), check: CheckDeployments, wantFail: "playground/service-b InProgress"},
		{name: "istio deployment unavailable", objs: replace(healthyObjects(true), deployment(testIstio, "istiod", 1, 0)), check: CheckDeployments, wantFail: "istio-system/istiod InProgress: Available: 0/1"},
		{name: "daemon set counted", objs: healthyObjects(true), check: CheckDeployments, wantPass: "istio-cni/istio-cni-node"},
		{name: "daemon set pod unavailable", objs: replace(healthyObjects(true), daemonSet(testCNI, "istio-cni-node", 2, 1)), check: CheckDeployments, wantFail: "istio-cni/istio-cni-node InProgress: Available: 1/2"},
		{name: "hop missing", objs: remove(healthyObjects(true), func(o runtime.Object) bool {
			return fmt.Sprintf("%T", o) == "*v1.Deployment" && o.(interface{ GetName() string }).GetName() == "service-c"
		}), check: CheckDeployments, wantFail: "no deployment playground/service-c"},
		{name: "endpoints ready", objs: healthyObjects(true), check: CheckEndpoints, wantPass: "istio-system/istio-ingressgateway 1"},
		{name: "endpoint not ready", objs: replace(healthyObjects(true), endpointSlice(testNS, "service-b", false)), check: CheckEndpoints, wantFail: "playground/service-b has no ready endpoint"},
		{name: "ingress service without endpoints", objs: remove(healthyObjects(true), func(o runtime.Object) bool {
			return o.(interface{ GetName() string }).GetName() == "istio-ingressgateway-x"
		}), check: CheckEndpoints, wantFail: "istio-system/istio-ingressgateway has no ready endpoint"},
		{name: "releases deployed, newest revision counts", objs: healthyObjects(true), check: CheckReleases, wantPass: "istio-system/istiod r2"},
		{name: "release in its own namespace", objs: healthyObjects(true), check: CheckReleases, wantPass: "istio-cni/istio-cni r1"},
		{name: "release record in the wrong namespace", objs: append(remove(healthyObjects(true), func(o runtime.Object) bool {
			return o.(interface{ GetName() string }).GetName() == "sh.helm.release.v1.istio-cni.v1"
		}), helmRecord("istio-cni", 1, "deployed")), check: CheckReleases, wantFail: "release istio-cni/istio-cni not installed"},
		{name: "release stuck pending", objs: append(healthyObjects(true), helmRecord("istiod", 3, "pending-upgrade")), check: CheckReleases, wantFail: "istio-system/istiod revision 3 is pending-upgrade"},
		{name: "release failed", objs: replace(healthyObjects(true), helmRecord("istio-base", 1, "failed")), check: CheckReleases, wantFail: "istio-base revision 1 is failed"},
		{name: "release missing", objs: remove(healthyObjects(true), func(o runtime.Object) bool {
			return strings.Contains(o.(interface{ GetName() string }).GetName(), "istio-ingressgateway.v")
		}), check: CheckReleases, wantFail: "istio-ingressgateway not installed"},
		{name: "routes to service-a", objs: healthyObjects(true), vs: &vsArgs{"service-a", []string{"gateway"}}, check: CheckRouting, wantPass: "-> service-a"},
		{name: "routes by FQDN", objs: healthyObjects(true), vs: &vsArgs{"service-a.playground.svc.cluster.local", []string{"gateway"}}, check: CheckRouting, wantPass: "-> service-a.playground.svc"},
		{name: "routes elsewhere", objs: healthyObjects(true), vs: &vsArgs{"service-b", []string{"gateway"}}, check: CheckRouting, wantFail: "routes to service-a"},
		{name: "not bound to a gateway", objs: healthyObjects(true), vs: &vsArgs{"service-a", nil}, check: CheckRouting, wantFail: "found 1 VirtualServices"},
		{name: "no virtual service", objs: healthyObjects(true), check: CheckRouting, wantFail: "found 0 VirtualServices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vs []runtime.Object
			if tt.vs != nil {
				vs = append(vs, virtualService(tt.vs.host, tt.vs.gateways...))
			}
			r, err := Run(context.Background(), fakeCluster(tt.objs, vs...), testTarget, fastOptions)
			if err != nil {
				t.Fatal(err)
			}
			res, ok := r.Result(tt.check)
			if !ok {
				t.Fatalf("no result for %q", tt.check)
			}
			checkResult(t, tt.check, res, tt.wantFail, tt.wantPass)
		})
	}
}

type vsArgs struct {
	host     string
	gateways []string
}

func TestSidecars(t *testing.T) {
	native := meshedPod("b", 0, false, true)
	always := corev1.ContainerRestartPolicyAlways
	native.Spec.InitContainers = []corev1.Container{{Name: sidecarName, RestartPolicy: &always}}
	native.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: sidecarName, Ready: true}}
	tests := []struct {
		name     string
		pod      *corev1.Pod
		wantFail string
	}{
		{name: "sidecar container, 2/2", pod: meshedPod("b", 0, true, true, true)},
		{name: "native sidecar, 2/2", pod: native},
		{name: "no sidecar", pod: meshedPod("b", 0, false, true), wantFail: "service-b-0: no istio-proxy"},
		{name: "sidecar not ready", pod: meshedPod("b", 0, true, true, false), wantFail: "service-b-0: 1/2 ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeCluster(replace(healthyObjects(false), tt.pod))
			detail, err := sidecarsRunning(context.Background(), c, testTarget)
			switch {
			case tt.wantFail == "" && err != nil:
				t.Errorf("failed: %v", err)
			case tt.wantFail == "" && !strings.Contains(detail, "service-b-0 2/2"):
				t.Errorf("detail %q lacks service-b-0 2/2", detail)
			case tt.wantFail != "" && (err == nil || !strings.Contains(err.Error(), tt.wantFail)):
				t.Errorf("got %v, want a failure containing %q", err, tt.wantFail)
			}
		})
	}
}

func TestChainAnswers(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantFail string
	}{
		{name: "C answers", status: 200, body: `{"SERVICE_TYPE":"C","SERVICE_HOST":null,"SERVICE_PORT":null,"DNS_NAME":"service-c"}`},
		{name: "the chain stops at B", status: 200, body: `{"SERVICE_TYPE":"B"}`, wantFail: `SERVICE_TYPE "B", want "C"`},
		{name: "a hop fails", status: 502, body: `{"error":"next hop failed","hop":"B"}`, wantFail: "502 Bad Gateway"},
		{name: "not sample-app", status: 200, body: `<html>default backend</html>`, wantFail: "not sample-app's JSON"},
		{name: "RBAC denied by the mesh", status: 403, body: `RBAC: access denied`, wantFail: "403 Forbidden: RBAC: access denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.URL.Path != "/service" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			detail, err := chainAnswers(context.Background(), srv.Client(), srv.URL+"/service", testTarget.Hops, 5)
			if tt.wantFail == "" {
				if err != nil || calls != 5 {
					t.Errorf("got %q, %v after %d calls; want a pass after 5", detail, err, calls)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("got %v, want a failure containing %q", err, tt.wantFail)
			}
		})
	}
}

// traceJSON is a /api/traces answer with one trace whose spans come from
// the given services, each span the child of the one before (one tree).
func traceJSON(services ...string) string {
	return traceWithRoots(nil, services...)
}

// traceWithRoots is traceJSON where the spans at the given indexes have no
// parent in the trace (a hop that lost the trace context).
func traceWithRoots(roots map[int]bool, services ...string) string {
	var spans, procs []string
	for i, s := range services {
		refs := "[]"
		if i > 0 && !roots[i] {
			refs = fmt.Sprintf(`[{"refType":"CHILD_OF","traceID":"t1","spanID":"s%d"}]`, i-1)
		}
		spans = append(spans, fmt.Sprintf(`{"traceID":"t1","spanID":"s%d","operationName":"op","processID":"p%d","references":%s}`, i, i, refs))
		procs = append(procs, fmt.Sprintf(`"p%d":{"serviceName":%q,"tags":[]}`, i, s))
	}
	return fmt.Sprintf(`{"data":[{"traceID":"t1","spans":[%s],"processes":{%s}}],"total":0,"limit":0,"offset":0,"errors":null}`,
		strings.Join(spans, ","), strings.Join(procs, ","))
}

func TestTraceThroughHops(t *testing.T) {
	tests := []struct {
		name     string
		services string
		trace    string
		wantFail string
	}{
		{name: "sidecars and apps", services: `{"data":["service-a","service-a.playground","service-b.playground","service-c","jaeger"]}`,
			trace: traceJSON("service-a.playground", "service-a", "service-b.playground", "service-c")},
		{name: "sidecars only", services: `{"data":["service-a.playground"]}`,
			trace: traceJSON("istio-ingressgateway.istio-system", "service-a.playground", "service-b.playground", "service-c.playground")},
		{name: "broken propagation at B", services: `{"data":["service-a"]}`,
			trace: traceJSON("service-a", "service-b"), wantFail: "trace t1 lacks service-c"},
		{name: "nothing from the chain", services: `{"data":["jaeger"]}`, trace: `{"data":[]}`, wantFail: "no service of hop service-a"},
		{name: "no traces yet", services: `{"data":["service-a"]}`, trace: `{"data":[]}`, wantFail: "no traces of service-a"},
		{name: "similar name is not a hop", services: `{"data":["service-ab"]}`, trace: traceJSON("service-ab"), wantFail: "no service of hop service-a"},
		{name: "every hop, but C started a trace of its own", services: `{"data":["service-a"]}`,
			trace: traceWithRoots(map[int]bool{2: true}, "service-a", "service-b", "service-c"), wantFail: "falls apart into 2 trees"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := jsonServer(t, map[string]string{"/api/services": tt.services, "/api/traces": tt.trace})
			detail, err := TraceThroughHops(context.Background(), srv.Client(), srv.URL, testTarget.Hops)
			if tt.wantFail == "" {
				if err != nil {
					t.Errorf("failed: %v", err)
				}
				if !strings.Contains(detail, "trace t1") {
					t.Errorf("detail %q does not name the trace", detail)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("got %v, want a failure containing %q", err, tt.wantFail)
			}
		})
	}
}

// promVector is a Prometheus instant-query answer: workload -> count.
func promVector(counts map[string]string) string {
	var results []string
	for w, v := range counts {
		results = append(results, fmt.Sprintf(`{"metric":{"destination_app":%q},"value":[1764270000,%q]}`, w, v))
	}
	return fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(results, ","))
}

func TestRequestsPerHop(t *testing.T) {
	tests := []struct {
		name     string
		counts   map[string]string
		wantFail string
	}{
		{name: "every hop counted", counts: map[string]string{"service-a": "20", "service-b": "20", "service-c": "20", "webserver": "3"}},
		{name: "C never reached", counts: map[string]string{"service-a": "20", "service-b": "20"}, wantFail: "no requests to service-c"},
		{name: "zero counts", counts: map[string]string{"service-a": "0", "service-b": "0", "service-c": "0"}, wantFail: "service-a, service-b, service-c"},
		{name: "no metric at all", counts: nil, wantFail: "no requests to service-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var query string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query" {
					http.NotFound(w, r)
					return
				}
				query = r.Form.Get("query")
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, promVector(tt.counts))
			}))
			defer srv.Close()
			detail, err := requestsPerHop(context.Background(), srv.URL, testNS, testTarget.Hops)
			if !strings.Contains(query, `istio_requests_total{reporter="destination",destination_workload_namespace="playground"}`) {
				t.Errorf("query %q does not select the app namespace's inbound requests", query)
			}
			if tt.wantFail == "" {
				if err != nil || !strings.Contains(detail, "service-c 20") {
					t.Errorf("got %q, %v; want a pass naming service-c 20", detail, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantFail) {
				t.Errorf("got %v, want a failure containing %q", err, tt.wantFail)
			}
		})
	}
}

// TestRunOnSimulatedNodes: on the kwok sandbox every data-plane check is
// skipped and says why; nothing is dialed.
func TestRunOnSimulatedNodes(t *testing.T) {
	c := fakeCluster(healthyObjects(true), virtualService("service-a", "gateway"))
	c.Forward = func(context.Context, string, string, int32) (string, func(), error) {
		t.Error("a port-forward was opened on a simulated cluster")
		return "", nil, fmt.Errorf("unreachable")
	}
	r, err := Run(context.Background(), c, testTarget, fastOptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Failed()) != 0 {
		t.Fatalf("failed %+v", r.Failed())
	}
	var out strings.Builder
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CheckSidecars, CheckMeshIdentity, CheckChain, CheckChainEntry, CheckTrace, CheckMetrics, CheckScrapes, CheckTrafficSplit} {
		if res, _ := r.Result(name); res.Status != StatusSkip || !strings.Contains(res.Detail, "simulated") {
			t.Errorf("%s: %+v, want SKIP saying the nodes are simulated", name, res)
		}
	}
	if !strings.Contains(out.String(), "8 of 14 checks skipped") {
		t.Errorf("the report does not say what was not checked:\n%s", out.String())
	}
}

// promServer answers Prometheus instant queries: the istio metric by
// workload, scrape health and sample-app's counter by app.
func promServer(t *testing.T, up, requests map[string]string) *httptest.Server {
	t.Helper()
	vector := func(label string, values map[string]string) string {
		var results []string
		for k, v := range values {
			results = append(results, fmt.Sprintf(`{"metric":{%q:%q},"value":[1764270000,%q]}`, label, k, v))
		}
		return fmt.Sprintf(`{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(results, ","))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch q := r.Form.Get("query"); {
		case strings.Contains(q, `app="istiod"`):
			// One istiod pod, scraped once by its annotations.
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"istiod","job":"kubernetes-pods","pod":"istiod-5d9c"},"value":[1764270000,"1"]}]}}`)
		case strings.Contains(q, "istio_requests_total"):
			fmt.Fprint(w, vector("destination_app", requests))
		case strings.Contains(q, "up{"):
			fmt.Fprint(w, vector("app", up))
		case strings.Contains(q, "sample_app_http_requests_total"):
			fmt.Fprint(w, vector("app", requests))
		default:
			http.Error(w, "unexpected query "+q, http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// onNode puts a pod on a node.
func onNode(p *corev1.Pod, node string) *corev1.Pod {
	p.Spec.NodeName = node
	return p
}

// sandboxObjects is the real-pods sandbox: a real node for everything, a
// simulated one for the ingress gateway, no sidecars.
func sandboxObjects() []runtime.Object {
	objs := []runtime.Object{node("sandbox-node", false), node("sandbox-ingress", true),
		onNode(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: testIstio, Name: "gw-0", Labels: map[string]string{"app": "istio-ingressgateway"}, Annotations: injectedBy("default")}}, "sandbox-ingress"),
		namespace(testNS, map[string]string{"istio-injection": "disabled"}),
	}
	for _, o := range healthyObjects(false) {
		switch v := o.(type) {
		case *corev1.Node, *corev1.Namespace:
			continue
		case *corev1.Pod:
			o = onNode(meshedPod(strings.TrimPrefix(v.Labels["app"], "service-"), 0, false, true), "sandbox-node")
		}
		objs = append(objs, o)
	}
	return objs
}

// runForwarding runs every check, the port-forwards answered by the given
// servers (by Service name).
func runForwarding(t *testing.T, objs []runtime.Object, target Target, servers map[string]string) (*Report, []string) {
	t.Helper()
	c := fakeCluster(objs, virtualService("service-a", "gateway"))
	var forwarded []string
	c.Forward = func(_ context.Context, ns, svc string, port int32) (string, func(), error) {
		forwarded = append(forwarded, fmt.Sprintf("%s/%s:%d", ns, svc, port))
		if u, ok := servers[svc]; ok {
			return u, func() {}, nil
		}
		return "", nil, fmt.Errorf("no such service %s", svc)
	}
	r, err := Run(context.Background(), c, target, Options{Requests: 3, Wait: 10 * time.Second, APIWait: 10 * time.Millisecond, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return r, forwarded
}

// TestRunOnRealNodes: every check runs, the telemetry ones through the
// port-forward, and polling waits for traces that arrive late.
func TestRunOnRealNodes(t *testing.T) {
	chain := jsonServer(t, map[string]string{"/service": `{"SERVICE_TYPE":"C"}`})
	var traceCalls int
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/services":
			fmt.Fprint(w, `{"data":["service-a"]}`)
		case "/api/traces":
			// The first answer is before the batch exporter flushed.
			if traceCalls++; traceCalls == 1 {
				fmt.Fprint(w, `{"data":[]}`)
				return
			}
			fmt.Fprint(w, traceJSON("service-a", "service-b", "service-c"))
		}
	}))
	defer jaeger.Close()
	every := map[string]string{"service-a": "5", "service-b": "5", "service-c": "5"}
	prom := promServer(t, map[string]string{"service-a": "1", "service-b": "1", "service-c": "1"}, every)
	target := testTarget
	target.ServiceURL = chain.URL + "/service"
	r, forwarded := runForwarding(t, healthyObjects(false), target,
		map[string]string{"service-a": chain.URL, jaegerService: jaeger.URL, prometheusService: prom.URL})
	for _, res := range r.Results {
		// The hops' own mTLS is the grpc transport's (TestMeshIdentity).
		if res.Name == CheckMeshIdentity && res.Status == StatusSkip && strings.Contains(res.Detail, "chain:transport is http") {
			continue
		}
		// The split of versions runs with them (TestTrafficSplit).
		if res.Name == CheckTrafficSplit && res.Status == StatusSkip && strings.Contains(res.Detail, "no hop runs in versions") {
			continue
		}
		if res.Status != StatusPass {
			t.Errorf("%s: %s %s", res.Name, res.Status, res.Detail)
		}
	}
	if got := strings.Join(forwarded, " "); got != "playground/service-a:8000 istio-system/tracing:80 istio-system/prometheus:9090 istio-system/prometheus:9090" {
		t.Errorf("port-forwards %q, want the first hop's, Jaeger's and Prometheus' Services", got)
	}
	if traceCalls < 2 {
		t.Errorf("Jaeger was asked %d times: the check did not poll past an empty answer", traceCalls)
	}
}

// TestRunOnSandbox: on the real-pods sandbox what needs Envoy is skipped
// with its reason (the gateway on the simulated node, no sidecars), and
// the rest runs for real; a hop Prometheus does not scrape fails.
func TestRunOnSandbox(t *testing.T) {
	chain := jsonServer(t, map[string]string{"/service": `{"SERVICE_TYPE":"C"}`})
	jaeger := jsonServer(t, map[string]string{"/api/services": `{"data":["service-a","service-b","service-c"]}`,
		"/api/traces": traceJSON("service-a", "service-b", "service-c")})
	target := testTarget
	target.SidecarInjection = false
	want := map[string]struct {
		status Status
		detail string
	}{
		CheckInjection:    {StatusSkip, "istio:sidecarInjection: false"},
		CheckSidecars:     {StatusSkip, "istio:sidecarInjection: false"},
		CheckChain:        {StatusSkip, "only on simulated nodes (sandbox-ingress)"},
		CheckMetrics:      {StatusSkip, "istio:sidecarInjection: false"},
		CheckMeshIdentity: {StatusSkip, "chain:transport is http"},
		CheckChainEntry:   {StatusPass, "SERVICE_TYPE C"},
		CheckTrace:        {StatusPass, "parent-linked"},
		CheckScrapes:      {StatusPass, "service-c up, 7 requests; istiod-5d9c up"},
	}
	prom := promServer(t, map[string]string{"service-a": "1", "service-b": "1", "service-c": "1"},
		map[string]string{"service-a": "7", "service-b": "7", "service-c": "7"})
	r, _ := runForwarding(t, sandboxObjects(), target, map[string]string{"service-a": chain.URL, jaegerService: jaeger.URL, prometheusService: prom.URL})
	for name, w := range want {
		if res, _ := r.Result(name); res.Status != w.status || !strings.Contains(res.Detail, w.detail) {
			t.Errorf("%s: %s %q, want %s containing %q", name, res.Status, res.Detail, w.status, w.detail)
		}
	}
	if failed := r.Failed(); len(failed) != 0 {
		t.Errorf("failed on the sandbox: %+v", failed)
	}

	// service-c's target is down: the scrape check fails and names it.
	down := promServer(t, map[string]string{"service-a": "1", "service-b": "1", "service-c": "0"},
		map[string]string{"service-a": "7", "service-b": "7"})
	r, _ = runForwarding(t, sandboxObjects(), target, map[string]string{"service-a": chain.URL, jaegerService: jaeger.URL, prometheusService: down.URL})
	if res, _ := r.Result(CheckScrapes); res.Status != StatusFail || !strings.Contains(res.Detail, "service-c has a target down") {
		t.Errorf("%s with service-c down: %s %q", CheckScrapes, res.Status, res.Detail)
	}
}

// fastOptions fail a check at once: the fake cluster never changes.
var fastOptions = Options{APIWait: time.Millisecond, Poll: time.Millisecond}

// TestAPIChecksRetry: an API-level check that fails at first (endpoints not
// yet published after up) passes once the cluster catches up.
func TestAPIChecksRetry(t *testing.T) {
	c := fakeCluster(replace(healthyObjects(true), endpointSlice(testNS, "service-b", false)), virtualService("service-a", "gateway"))
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = c.Kube.DiscoveryV1().EndpointSlices(testNS).Update(context.Background(), endpointSlice(testNS, "service-b", true), metav1.UpdateOptions{})
	}()
	r, err := Run(context.Background(), c, testTarget, Options{APIWait: 5 * time.Second, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := r.Result(CheckEndpoints); res.Status != StatusPass {
		t.Errorf("endpoints published late: %s %s, want PASS after a retry", res.Status, res.Detail)
	}
}

func TestTargetFromOutputs(t *testing.T) {
	tg := TargetFromOutputs(map[string]interface{}{
		stackoutput.AppNamespace: "playground", stackoutput.IstioNamespace: "istio-system",
		stackoutput.ServiceURL: "http://127.0.0.1:31380/service", stackoutput.ChainHops: []interface{}{"a", "b", "c"},
		stackoutput.IstioReleases: map[string]interface{}{"istiod": "istio-system", "istio-cni": "istio-cni"},
	})
	if tg.Namespace != "playground" || tg.IstioNamespace != "istio-system" || strings.Join(tg.Hops, ",") != "a,b,c" || tg.ServiceURL == "" ||
		tg.Releases["istio-cni"] != "istio-cni" || len(tg.Releases) != 2 {
		t.Errorf("target %+v", tg)
	}
	_, err := Run(context.Background(), fakeCluster(nil), TargetFromOutputs(map[string]interface{}{}), fastOptions)
	if err == nil || !strings.Contains(err.Error(), "appNamespace, istioNamespace, chainHops, serviceUrl, istioReleases") || !strings.Contains(err.Error(), "make up") {
		t.Errorf("missing outputs: %v, want one error naming them and make up", err)
	}
}

// checkResult fails the test unless res FAILs with a detail containing
// wantFail or, when wantFail is "", PASSes with one containing wantPass.
func checkResult(t *testing.T, check string, res Result, wantFail, wantPass string) {
	t.Helper()
	if wantFail != "" {
		if res.Status != StatusFail || !strings.Contains(res.Detail, wantFail) {
			t.Errorf("%s: %s %q, want FAIL containing %q", check, res.Status, res.Detail, wantFail)
		}
		return
	}
	if res.Status != StatusPass || !strings.Contains(res.Detail, wantPass) {
		t.Errorf("%s: %s %q, want PASS containing %q", check, res.Status, res.Detail, wantPass)
	}
}
