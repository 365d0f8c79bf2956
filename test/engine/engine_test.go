// Package engine_test runs the stack under the real Pulumi engine and the
// real kubernetes provider (built by `make tools`), in the provider's render
// mode: no cluster, but the engine's real diffing, state and provider.
//
// pulumi-docker and pulumi-random plugins cannot be obtained here, so these
// runs switch those resources off by configuration (a prebuilt image, a
// given password); the mock tests cover them.
package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"sigs.k8s.io/yaml"
)

// prebuiltImage stands in for the docker build in these runs.
const prebuiltImage = "ghcr.io/play-kubernetes/sample-app:engine-test"

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("real-engine test; run without -short (make test builds the tools first)")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	progress := &utils.SyncBuffer{}
	eng, err := engine.New(context.Background(), engine.Options{
		Root:     root,
		StateDir: t.TempDir(),
		Progress: progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("engine output:\n%s", progress.String())
		}
	})
	return eng
}

// overrides switch off what needs the docker and random plugins, and take
// the Istio charts from the pinned istio.io/istio module instead of the
// chart repository: these runs reach no network.
func overrides(t *testing.T, stack string) map[string]auto.ConfigValue {
	t.Helper()
	charts, err := layout.IstioModuleCharts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	o := map[string]auto.ConfigValue{
		"chain:image":    {Value: prebuiltImage},
		"istio:chartDir": {Value: charts},
	}
	if stack == "prod" {
		o["telemetry:grafanaAdminPassword"] = auto.ConfigValue{Value: "engine-test-password", Secret: true}
	}
	return o
}

// manifests parses every rendered YAML document, keyed "Kind/namespace/name".
func manifests(t *testing.T, dir string) map[string]map[string]interface{} {
	t.Helper()
	res, err := engine.ListRendered(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]interface{}{}
	for _, f := range res.Files {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var obj map[string]interface{}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
				continue
			}
			md, _ := obj["metadata"].(map[string]interface{})
			key := obj["kind"].(string) + "/" + str(md["namespace"]) + "/" + str(md["name"])
			out[key] = obj
		}
	}
	return out
}

func str(v interface{}) string {
	s, _ := v.(string)
	return s
}

// get walks a dotted path through a manifest.
func get(obj interface{}, path string) interface{} { return utils.Field(obj, path) }

// selectorOf is a Service's spec.selector (its keys hold dots).
func selectorOf(svc interface{}) map[string]interface{} { return mapAt(svc, "spec.selector") }

// mapAt is the map at path, for maps whose keys hold dots (labels, annotations).
func mapAt(obj interface{}, path string) map[string]interface{} {
	m, _ := get(obj, path).(map[string]interface{})
	return m
}

func TestRenderedStacksCarryTheTutorial(t *testing.T) {
	eng := newEngine(t)
	for _, tc := range []struct {
		stack, webserverServiceType, ingressType string
		hopReplicas                              float64
	}{
		{"dev", "NodePort", "NodePort", 1},
		{"prod", "ClusterIP", "LoadBalancer", 2},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			dir := t.TempDir()
			res, err := eng.Render(context.Background(), tc.stack, dir, overrides(t, tc.stack))
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"istio-base", "istio-cni", "istiod", "istio-ingressgateway"}; !slices.Equal(res.NotRendered, want) {
				t.Errorf("not rendered = %v, want the Helm releases %v", res.NotRendered, want)
			}
			if !strings.Contains(res.Summary(), "not rendered: the Helm releases istio-base, istio-cni, istiod, istio-ingressgateway") {
				t.Errorf("the summary does not say what was left out:\n%s", res.Summary())
			}
			m := manifests(t, dir)
			web := m["Deployment/playground/webserver"]
			if web == nil {
				t.Fatalf("no webserver Deployment rendered; got %d objects", len(m))
			}
			for path, want := range map[string]interface{}{
				"metadata.labels.app":                   "webserver",
				"spec.replicas":                         3.0,
				"spec.selector.matchLabels.app":         "nginx",
				"spec.template.metadata.labels.app":     "nginx",
				"spec.template.spec.containers.0.image": "docker.io/nginxinc/nginx-unprivileged:stable-alpine",
				"spec.template.spec.containers.0.livenessProbe.initialDelaySeconds": 3.0,
				"spec.template.spec.containers.0.livenessProbe.periodSeconds":       3.0,
			} {
				if got := get(web, path); got != want {
					t.Errorf("webserver %s = %v, want %v", path, got, want)
				}
			}
			svc := m["Service/playground/webserver-svc"]
			if get(svc, "spec.type") != tc.webserverServiceType || get(svc, "spec.ports.0.port") != 80.0 || get(svc, "spec.selector.app") != "nginx" {
				t.Errorf("webserver-svc = %v", get(svc, "spec"))
			}
			ingress := m["Service/istio-system/istio-ingressgateway"]
			if get(ingress, "spec.type") != tc.ingressType {
				t.Errorf("ingress type = %v, want %s", get(ingress, "spec.type"), tc.ingressType)
			}
			for _, hop := range []string{"a", "b", "c"} {
				d := m["Deployment/playground/service-"+hop]
				if get(d, "spec.template.spec.containers.0.image") != prebuiltImage || get(d, "spec.replicas") != tc.hopReplicas {
					t.Errorf("service-%s = image %v, replicas %v", hop, get(d, "spec.template.spec.containers.0.image"), get(d, "spec.replicas"))
				}
			}
			vs := m["VirtualService/playground/virtual-service"]
			if get(vs, "spec.http.0.route.0.destination.host") != "service-a" || get(vs, "spec.http.0.route.0.destination.port.number") != 8000.0 {
				t.Errorf("VirtualService routes to %v", get(vs, "spec.http.0.route.0.destination"))
			}
			if get(m["Gateway/playground/gateway"], "spec.selector.istio") != "ingressgateway" {
				t.Error("Gateway does not select the ingress gateway")
			}
			if get(m["Service/istio-system/tracing"], "spec.ports.0.targetPort") != 16686.0 {
				t.Error("svc/tracing does not forward to Jaeger's UI")
			}
			if m["Telemetry/istio-system/mesh-default"] == nil {
				t.Error("no Telemetry resource rendered")
			}
		})
	}
}

// TestRenderedGatewayAPIIngress: dev and prod rendered with
// istio:ingress.api gateway-api carry the Gateway API's CRDs, a Gateway of
// class istio with its options, an HTTPRoute to the first hop, and none of
// the istio API's objects; the policies follow the provisioned gateway.
func TestRenderedGatewayAPIIngress(t *testing.T) {
	eng := newEngine(t)
	// provisioned is the type istiod's Service gets; on NodePort the
	// stack's own ingress Service holds the node port.
	for _, tc := range []struct{ stack, serviceType, provisioned string }{{"dev", "NodePort", "ClusterIP"}, {"prod", "LoadBalancer", "LoadBalancer"}} {
		t.Run(tc.stack, func(t *testing.T) {
			o := overrides(t, tc.stack)
			o["istio:ingress"] = auto.ConfigValue{Value: `{"api": "gateway-api", "type": "` + tc.serviceType + `", "httpNodePort": 31380, "host": "127.0.0.1"}`}
			if tc.serviceType == "LoadBalancer" {
				o["istio:ingress"] = auto.ConfigValue{Value: `{"api": "gateway-api", "type": "LoadBalancer", "httpNodePort": 0, "replicas": 2}`}
			}
			dir := t.TempDir()
			res, err := eng.Render(context.Background(), tc.stack, dir, o)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(res.NotRendered, "istio-ingressgateway") {
				t.Errorf("the gateway chart is in the stack with the Gateway API ingress: %v", res.NotRendered)
			}
			m := manifests(t, dir)
			for _, crd := range []string{"gateways", "httproutes", "gatewayclasses", "referencegrants"} {
				if m["CustomResourceDefinition//"+crd+".gateway.networking.k8s.io"] == nil {
					t.Errorf("no %s CRD rendered", crd)
				}
			}
			gw := m["Gateway/istio-system/ingress"]
			if get(gw, "apiVersion") != "gateway.networking.k8s.io/v1" || get(gw, "spec.gatewayClassName") != "istio" ||
				get(gw, "spec.infrastructure.parametersRef.name") != "ingress-options" {
				t.Errorf("Gateway = %v", gw)
			}
			options := m["ConfigMap/istio-system/ingress-options"]
			if !strings.Contains(str(get(options, "data.service")), "type: "+tc.provisioned) {
				t.Errorf("ingress options service = %q, want type %s", get(options, "data.service"), tc.provisioned)
			}
			front := m["Service/istio-system/istio-ingressgateway"]
			if tc.serviceType == "NodePort" {
				if get(front, "spec.type") != "NodePort" || get(front, "spec.ports.0.nodePort") != 31380.0 ||
					selectorOf(front)["gateway.networking.k8s.io/gateway-name"] != "ingress" {
					t.Errorf("the ingress Service on NodePort = %v, want node port 31380 selecting the provisioned pods", get(front, "spec"))
				}
			} else if front != nil {
				t.Errorf("the stack renders its own ingress Service beside the Gateway's load balancer: %v", get(front, "spec"))
			}
			route := m["HTTPRoute/playground/service-a"]
			if get(route, "spec.parentRefs.0.name") != "ingress" || get(route, "spec.rules.0.backendRefs.0.name") != "service-a" {
				t.Errorf("HTTPRoute = %v", get(route, "spec"))
			}
			for _, gone := range []string{"VirtualService/playground/virtual-service", "Gateway/playground/gateway"} {
				if m[gone] != nil {
					t.Errorf("%s rendered with the Gateway API ingress", gone)
				}
			}
			allow := m["AuthorizationPolicy/playground/service-a"]
			if got := get(allow, "spec.rules.0.from.0.source.principals.0"); got != "cluster.local/ns/istio-system/sa/ingress-istio" {
				t.Errorf("service-a allows %v, want the provisioned gateway's identity", got)
			}
		})
	}
}

// TestRenderedRevisions: `make render` of dev and prod with istiod as two
// revisions and a tag: the tag's injection webhook calls the revision it
// points at, the app namespace selects the tag instead of istio-injection,
// the workloads carry the revision they run on, and the release list names
// one istiod per revision.
func TestRenderedRevisions(t *testing.T) {
	eng := newEngine(t)
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			o := overrides(t, stack)
			o["istio:revisions"] = auto.ConfigValue{Value: `[{"name": "1-31-4"}, {"name": "canary"}]`}
			o["istio:revisionTags"] = auto.ConfigValue{Value: `{"prod-stable": "canary"}`}
			o["istio:appRevision"] = auto.ConfigValue{Value: "prod-stable"}
			dir := t.TempDir()
			res, err := eng.Render(context.Background(), stack, dir, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, release := range []string{"istiod-1-31-4", "istiod-canary"} {
				if !slices.Contains(res.NotRendered, release) {
					t.Errorf("release %s not in the stack's releases: %v", release, res.NotRendered)
				}
			}
			if slices.Contains(res.NotRendered, "istiod") {
				t.Errorf("the revision-less istiod is still in the stack: %v", res.NotRendered)
			}
			m := manifests(t, dir)
			tag := m["MutatingWebhookConfiguration//istio-revision-tag-prod-stable"]
			if mapAt(tag, "metadata.labels")["istio.io/rev"] != "canary" || get(tag, "webhooks.0.clientConfig.service.name") != "istiod-canary" {
				t.Errorf("tag webhook = %v", tag)
			}
			app := m["Namespace//playground"]
			if labels := mapAt(app, "metadata.labels"); labels["istio.io/rev"] != "prod-stable" || labels["istio-injection"] != nil {
				t.Errorf("app namespace labels = %v, want istio.io/rev=prod-stable and no istio-injection", get(app, "metadata.labels"))
			}
			for _, d := range []string{"Deployment/playground/service-a", "Deployment/playground/webserver"} {
				if got := mapAt(m[d], "spec.template.metadata.annotations")["playk8s.io/istio-revision"]; got != "canary" {
					t.Errorf("%s pods' revision = %v, want canary", d, got)
				}
			}
		})
	}
}

// previewOps runs a preview and returns the operation per resource URN that is not "same".
func previewOps(t *testing.T, s auto.Stack) map[string]apitype.OpType {
	t.Helper()
	ops, err := utils.PlannedChanges(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

func TestPreviewAfterUpAndConfigChanges(t *testing.T) {
	eng := newEngine(t)
	o := overrides(t, "dev")
	o[engine.RenderKey] = auto.ConfigValue{Value: t.TempDir()}
	scratch, err := eng.NewScratch(context.Background(), "dev", o)
	if err != nil {
		t.Fatal(err)
	}
	defer scratch.Close()
	s := scratch.Stack
	if _, err := s.Up(context.Background(), optup.ProgressStreams(eng.Progress())); err != nil {
		t.Fatal(err)
	}
	if ops := previewOps(t, s); len(ops) != 0 {
		t.Fatalf("a second preview after up plans changes: %v", ops)
	}

	for _, tc := range []struct{ key, value string }{
		{"webserver:image", "nginx:alpine"},
		{"webserver:replicas", "5"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			// Restore the key afterwards, whether the stack file set it or not.
			old, errGet := s.GetConfig(context.Background(), tc.key)
			if err := s.SetConfig(context.Background(), tc.key, auto.ConfigValue{Value: tc.value}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if errGet == nil {
					s.SetConfig(context.Background(), tc.key, old)
				} else {
					s.RemoveConfig(context.Background(), tc.key)
				}
			}()
			ops := previewOps(t, s)
			if len(ops) != 1 {
				t.Fatalf("changing %s plans %d changes, want exactly one: %v", tc.key, len(ops), ops)
			}
			for urn, op := range ops {
				if !strings.HasSuffix(urn, "kubernetes:apps/v1:Deployment::webserver") || op != apitype.OpUpdate {
					t.Errorf("changing %s plans %s on %s, want an update of the webserver Deployment", tc.key, op, urn)
				}
			}
		})
	}
}

// TestRenderedProxylessChain: dev and prod with chain:transport grpc. The
// ingress gateway (Envoy) still reaches the first hop on its plain HTTP
// port: the hop's DestinationRule turns the mTLS Envoy's auto-mTLS would
// choose for a tlsMode-labeled endpoint off for that port, and on
// (ISTIO_MUTUAL, which proxyless clients need spelled out) for the gRPC
// port. Every hop's pods ask for the grpc-agent template and pass the
// restricted guard with the injected container's stand-in.
func TestRenderedProxylessChain(t *testing.T) {
	eng := newEngine(t)
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			o := overrides(t, stack)
			o["chain:transport"] = auto.ConfigValue{Value: "grpc"}
			dir := t.TempDir()
			if _, err := eng.Render(context.Background(), stack, dir, o); err != nil {
				t.Fatal(err)
			}
			m := manifests(t, dir)
			vs := m["VirtualService/playground/virtual-service"]
			if get(vs, "spec.http.0.route.0.destination.host") != "service-a" || get(vs, "spec.http.0.route.0.destination.port.number") != 8000.0 {
				t.Errorf("the ingress route = %v, want service-a's HTTP port 8000", get(vs, "spec.http"))
			}
			for _, hop := range []string{"service-a", "service-b", "service-c"} {
				dr := m["DestinationRule/playground/"+hop]
				if get(dr, "spec.host") != hop+".playground.svc.cluster.local" ||
					get(dr, "spec.trafficPolicy.portLevelSettings.0.port.number") != 8001.0 || get(dr, "spec.trafficPolicy.portLevelSettings.0.tls.mode") != "ISTIO_MUTUAL" ||
					get(dr, "spec.trafficPolicy.portLevelSettings.1.port.number") != 8000.0 || get(dr, "spec.trafficPolicy.portLevelSettings.1.tls.mode") != "DISABLE" {
					t.Errorf("%s DestinationRule = %v, want ISTIO_MUTUAL on 8001 and DISABLE on 8000", hop, get(dr, "spec"))
				}
				d := m["Deployment/playground/"+hop]
				if mapAt(d, "spec.template.metadata.annotations")["inject.istio.io/templates"] != "grpc-agent" ||
					mapAt(d, "spec.template.metadata.labels")["security.istio.io/tlsMode"] != "istio" ||
					get(d, "spec.template.spec.containers.1.name") != "istio-proxy" {
					t.Errorf("%s pod template = %v, want the grpc-agent template, tlsMode istio and the istio-proxy stand-in", hop, get(d, "spec.template"))
				}
				checkRestricted(t, "Deployment/playground/"+hop, get(d, "spec.template.spec"))
			}
			if got := get(m["AuthorizationPolicy/playground/service-b"], "spec.rules.0.to.0.operation.ports.0"); got != "8001" {
				t.Errorf("service-b admits service-a on port %v, want the gRPC port 8001", got)
			}
			if got := mapAt(m["Namespace//playground"], "metadata.labels")["istio-injection"]; got != "enabled" {
				t.Errorf("app namespace istio-injection = %v, want enabled (dev and prod inject Envoy; the hops choose grpc-agent)", got)
			}
		})
	}
}

// trafficConfig is chain:traffic as Istio's tasks run bookinfo: hop c in
// two versions, jason's requests to v2, the rest split 90/10, with every
// resilience setting; hop b with a timeout and retries alone.
const trafficConfig = `{
  "b": {"timeout": "2s", "retries": {"attempts": 2, "perTryTimeout": "500ms", "retryOn": "unavailable,5xx"}},
  "c": {
    "versions": [{"name": "v1", "weight": 90}, {"name": "v2", "weight": 10}],
    "match": [{"headers": {"end-user": {"exact": "jason"}}, "version": "v2"}],
    "timeout": "1s",
    "fault": {"delay": {"fixedDelay": "5s", "percent": 10}, "abort": {"httpStatus": 503, "percent": 5}},
    "connectionPool": {"tcp": {"maxConnections": 1}, "http": {"http1MaxPendingRequests": 1, "maxRequestsPerConnection": 1}},
    "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "3m", "maxEjectionPercent": 100}
  }
}`

// TestRenderedTrafficManagement: chain:traffic renders, under the real
// engine and provider, the objects Istio's traffic management tasks
// apply: a Deployment per version behind the hop's one Service, the
// DestinationRule's subsets and circuit breaking (on each port with the
// grpc transport, whose port settings do not inherit), and the
// VirtualService's header match before the weighted split, each route
// with the hop's timeout, retries and fault.
func TestRenderedTrafficManagement(t *testing.T) {
	eng := newEngine(t)
	for _, transport := range []string{"http", "grpc"} {
		t.Run(transport, func(t *testing.T) {
			o := overrides(t, "dev")
			o["chain:transport"] = auto.ConfigValue{Value: transport}
			o["chain:traffic"] = auto.ConfigValue{Value: trafficConfig}
			dir := t.TempDir()
			if _, err := eng.Render(context.Background(), "dev", dir, o); err != nil {
				t.Fatal(err)
			}
			m := manifests(t, dir)
			if m["Deployment/playground/service-c"] != nil {
				t.Error("service-c's single Deployment is still rendered beside its versions")
			}
			for _, v := range []string{"v1", "v2"} {
				d := m["Deployment/playground/service-c-"+v]
				if got := mapAt(d, "spec.selector.matchLabels"); got["app"] != "service-c" || got["version"] != v {
					t.Errorf("service-c-%s selects %v", v, got)
				}
			}
			host := "service-c.playground.svc.cluster.local"
			vs := m["VirtualService/playground/service-c"]
			if get(vs, "spec.hosts.0") != host ||
				get(vs, "spec.http.0.match.0.headers.end-user.exact") != "jason" || get(vs, "spec.http.0.route.0.destination.subset") != "v2" ||
				get(vs, "spec.http.1.route.0.destination.subset") != "v1" || get(vs, "spec.http.1.route.0.weight") != 90.0 ||
				get(vs, "spec.http.1.route.1.destination.subset") != "v2" || get(vs, "spec.http.1.route.1.weight") != 10.0 {
				t.Errorf("service-c's routes = %v", get(vs, "spec.http"))
			}
			for i := range 2 {
				r := fmt.Sprintf("spec.http.%d.", i)
				if get(vs, r+"timeout") != "1s" || get(vs, r+"fault.delay.fixedDelay") != "5s" || get(vs, r+"fault.abort.httpStatus") != 503.0 || get(vs, r+"fault.abort.percentage.value") != 5.0 {
					t.Errorf("route %d = %v, want the hop's timeout and fault", i, get(vs, "spec.http."+fmt.Sprint(i)))
				}
			}
			if vs := m["VirtualService/playground/service-b"]; get(vs, "spec.http.0.retries.attempts") != 2.0 || get(vs, "spec.http.0.retries.perTryTimeout") != "0.500s" || get(vs, "spec.http.0.timeout") != "2s" {
				t.Errorf("service-b's route = %v, want its timeout and retries", get(vs, "spec.http"))
			}
			if m["VirtualService/playground/service-a"] != nil {
				t.Error("service-a, a hop without rules, got a VirtualService")
			}
			dr := m["DestinationRule/playground/service-c"]
			if get(dr, "spec.subsets.1.name") != "v2" || get(dr, "spec.subsets.1.labels.version") != "v2" {
				t.Errorf("subsets = %v", get(dr, "spec.subsets"))
			}
			policy := "spec.trafficPolicy."
			if transport == "grpc" {
				policy = "spec.trafficPolicy.portLevelSettings.0."
				if get(dr, policy+"tls.mode") != "ISTIO_MUTUAL" {
					t.Errorf("gRPC port settings = %v, want ISTIO_MUTUAL beside the circuit breaking", get(dr, policy))
				}
			}
			if get(dr, policy+"connectionPool.tcp.maxConnections") != 1.0 || get(dr, policy+"outlierDetection.baseEjectionTime") != "180s" {
				t.Errorf("circuit breaking at %s = %v", policy, get(dr, strings.TrimSuffix(policy, ".")))
			}
			for _, hop := range []string{"service-a", "service-b", "service-c-v1", "service-c-v2"} {
				if envValue(m["Deployment/playground/"+hop], "FORWARD_HEADERS") != "end-user" {
					t.Errorf("%s does not forward end-user: %v", hop, get(m["Deployment/playground/"+hop], "spec.template.spec.containers.0.env"))
				}
			}
		})
	}
}

// envValue is the value of a Deployment's first container's variable name ("" when unset).
func envValue(d map[string]interface{}, name string) string {
	list, _ := get(d, "spec.template.spec.containers.0.env").([]interface{})
	for _, e := range list {
		if m, ok := e.(map[string]interface{}); ok && m["name"] == name {
			v, _ := m["value"].(string)
			return v
		}
	}
	return ""
}
