package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// setIngressAPI switches istio:ingress.api, the way a user does with
// `pulumi config set --path istio:ingress.api <api>`.
func setIngressAPI(t *testing.T, d *deployment, api components.IngressAPI) {
	t.Helper()
	if err := d.stack.SetConfigWithOptions(context.Background(), "istio:ingress.api", auto.ConfigValue{Value: string(api)}, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
}

// planned counts a preview's operations per resource type.
func planned(ops map[string]apitype.OpType) map[string]map[apitype.OpType]int {
	out := map[string]map[apitype.OpType]int{}
	for urn, op := range ops {
		typ, _ := urnTypeName(urn)
		if out[typ] == nil {
			out[typ] = map[apitype.OpType]int{}
		}
		out[typ][op]++
	}
	return out
}

// urnTypeName is a resource URN's own type (without its parents') and name.
func urnTypeName(urn string) (typ, name string) {
	parts := strings.Split(urn, "::")
	typ = parts[len(parts)-2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ, parts[len(parts)-1]
}

// conditionsTrue fails the test unless the object's conditions at path
// (a slice of {type, status}) hold every wanted type as True.
func conditionsTrue(t *testing.T, what string, conditions interface{}, want ...string) {
	t.Helper()
	got := map[string]string{}
	list, _ := conditions.([]interface{})
	for _, c := range list {
		m, _ := c.(map[string]interface{})
		got[m["type"].(string)] = m["status"].(string) + " " + strings.TrimSpace(m["reason"].(string)+" "+m["message"].(string))
	}
	for _, w := range want {
		if !strings.HasPrefix(got[w], "True") {
			t.Errorf("%s condition %s = %q, want True (all: %v)", what, w, got[w], got)
		}
	}
}

// checkGatewayAPIIngress switches the running stack to the Kubernetes
// Gateway API ingress and back. The real istiod judges the Gateway
// (Accepted, Programmed: it provisioned the gateway's Deployment and
// Service from the stack's options) and the HTTPRoute (Accepted, its
// backend resolved). The node port stays with the stack's own ingress
// Service, which each switch only updates (the port is never released and
// retaken within an up); each switch is one up whose preview said what is
// replaced, and a preview after each is clean.
func checkGatewayAPIIngress(t *testing.T, d *deployment) {
	setIngressAPI(t, d, components.IngressAPIGateway)
	checkSwitchPlan(t, d.previewOps(t), map[string]apitype.OpType{
		"kubernetes:helm.sh/v3:Release":                               apitype.OpDelete, // the gateway chart
		"kubernetes:networking.istio.io/v1:VirtualService":            apitype.OpDelete,
		"kubernetes:networking.istio.io/v1:Gateway":                   apitype.OpDelete,
		"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": apitype.OpCreate,
		"kubernetes:gateway.networking.k8s.io/v1:Gateway":             apitype.OpCreate,
		"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute":           apitype.OpCreate,
	})
	if t.Failed() {
		return
	}
	d.up(t)
	if got := d.output(stackoutput.IngressAPI); got != "gateway-api" {
		t.Errorf("output ingressApi = %q", got)
	}
	if got := d.output(stackoutput.IngressURL); got != "http://127.0.0.1:31380" {
		t.Errorf("output ingressUrl = %q, want the tutorial's node port", got)
	}
	gw := d.get(t, "gateways.gateway.networking.k8s.io", components.KubernetesGatewayName, "-n", istioNamespace)
	conditionsTrue(t, "Gateway "+components.KubernetesGatewayName, utils.Field(gw.Object, "status.conditions"), "Accepted", "Programmed")
	route := d.get(t, "httproutes.gateway.networking.k8s.io", "service-a", "-n", appNamespace)
	parents, _ := utils.Field(route.Object, "status.parents").([]interface{})
	if len(parents) != 1 {
		t.Fatalf("HTTPRoute service-a has %d parent statuses, want the ingress Gateway's: %s", len(parents), utils.JSON(route.Object["status"]))
	}
	conditionsTrue(t, "HTTPRoute service-a", parents[0].(map[string]interface{})["conditions"], "Accepted", "ResolvedRefs")

	// What istiod provisioned follows the stack's options: a ClusterIP
	// Service (the node port is the stack's Service's), and pods on the
	// simulated ingress node (Envoy cannot run here), admitted by the
	// namespace's restricted Pod Security.
	selector := components.IngressGatewaySelector(components.IngressAPIGateway)
	provisioned := d.get(t, "service", components.ProvisionedGatewayName(components.KubernetesGatewayName), "-n", istioNamespace)
	if typ := utils.Field(provisioned.Object, "spec.type"); typ != "ClusterIP" {
		t.Errorf("provisioned Service %s is %v, want ClusterIP", provisioned.GetName(), typ)
	}
	pods := livePods(t, d, istioNamespace, selector)
	if len(pods) == 0 {
		t.Fatalf("no pods of %s in %s", selector, istioNamespace)
	}
	var podIPs []string
	for _, p := range pods {
		if node := utils.Field(p.Object, "spec.nodeName"); node != simulatedIngressNode {
			t.Errorf("a provisioned gateway pod runs on %q, want the simulated ingress node %s", node, simulatedIngressNode)
		}
		podIPs = append(podIPs, fmt.Sprint(utils.Field(p.Object, "status.podIP")))
	}
	checkIngressService(t, d, components.IngressAPIGateway, podIPs)

	report := runVerify(t, d, verify.Options{})
	// The revision check reads the gateway's revision from what istiod's
	// gateway controller rendered (its pods are not injected).
	for _, name := range []string{verify.CheckRouting, verify.CheckEndpoints, verify.CheckDeployments, verify.CheckRevisions} {
		if res, _ := report.Result(name); res.Status != verify.StatusPass {
			t.Errorf("verify with gateway-api: %q %s (%s)", name, res.Status, res.Detail)
		}
	}
	if ops := d.previewOps(t); len(ops) != 0 {
		t.Errorf("a preview after switching to gateway-api plans changes: %v", ops)
	}

	// And back: the tutorial's gateway chart, Gateway and VirtualService.
	setIngressAPI(t, d, components.IngressAPIIstio)
	checkSwitchPlan(t, d.previewOps(t), map[string]apitype.OpType{
		"kubernetes:helm.sh/v3:Release":                               apitype.OpCreate,
		"kubernetes:networking.istio.io/v1:VirtualService":            apitype.OpCreate,
		"kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": apitype.OpDelete,
		"kubernetes:gateway.networking.k8s.io/v1:Gateway":             apitype.OpDelete,
		"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute":           apitype.OpDelete,
	})
	d.up(t)
	checkRouting(t, d)
	var chartPods []string
	for _, p := range livePods(t, d, istioNamespace, components.IngressGatewaySelector(components.IngressAPIIstio)) {
		chartPods = append(chartPods, fmt.Sprint(utils.Field(p.Object, "status.podIP")))
	}
	checkIngressService(t, d, components.IngressAPIIstio, chartPods)
	if out, _ := d.kubectl.Run("get", "crd", "gateways.gateway.networking.k8s.io", "--ignore-not-found", "-o", "name"); out != "" {
		t.Errorf("switching back left the Gateway API's CRDs: %s", out)
	}
	if ops := d.previewOps(t); len(ops) != 0 {
		t.Errorf("a preview after switching back to istio plans changes: %v", ops)
	}
}

// checkSwitchPlan fails the test unless a switch's preview plans each
// wanted operation on its type, and only updates the ingress Service: it
// holds the node port in both ingress APIs, so it is never deleted or
// replaced.
func checkSwitchPlan(t *testing.T, ops map[string]apitype.OpType, want map[string]apitype.OpType) {
	t.Helper()
	plan := planned(ops)
	for typ, op := range want {
		if plan[typ][op] == 0 {
			t.Errorf("the switch's preview plans no %s of a %s (plan %v)", op, typ, plan)
		}
	}
	for urn, op := range ops {
		if strings.HasSuffix(urn, "kubernetes:core/v1:Service::"+components.GatewayReleaseName) && op != apitype.OpUpdate {
			t.Errorf("the switch's preview plans %s for the ingress Service (want an update of its selector): %s", op, urn)
		}
	}
}

// checkIngressService checks the stack's ingress Service: the tutorial's
// node port, selecting the pods of the ingress API, and its endpoints are
// exactly those pods.
func checkIngressService(t *testing.T, d *deployment, api components.IngressAPI, podIPs []string) {
	t.Helper()
	key, value, _ := strings.Cut(components.IngressGatewaySelector(api), "=")
	svc := d.get(t, "service", components.GatewayReleaseName, "-n", istioNamespace)
	if port := servicePort(svc.Object, 80); utils.Field(svc.Object, "spec.type") != "NodePort" || port["nodePort"] != int64(components.TutorialIngressNodePort) {
		t.Errorf("ingress Service: type %v, port 80 %v; want NodePort on %d", utils.Field(svc.Object, "spec.type"), port, components.TutorialIngressNodePort)
	}
	selector, _ := utils.Field(svc.Object, "spec.selector").(map[string]interface{})
	if selector[key] != value {
		t.Errorf("ingress Service selects %v, want %s=%s", selector, key, value)
	}
	// EndpointSlices follow the pods asynchronously: the old API's pods
	// may still be listed for a moment after the up.
	wantIPs := append([]string(nil), podIPs...)
	sort.Strings(wantIPs)
	var got []string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		out := d.run(t, "get", "endpointslices", "-n", istioNamespace, "-l", "kubernetes.io/service-name="+components.GatewayReleaseName,
			"-o", "jsonpath={range .items[*].endpoints[*]}{.addresses[0]} {end}")
		got = strings.Fields(out)
		sort.Strings(got)
		if strings.Join(got, " ") == strings.Join(wantIPs, " ") {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Errorf("ingress Service endpoints %v, want the gateway pods %v", got, wantIPs)
}

// servicePort is the Service's port entry for a port number.
func servicePort(svc map[string]interface{}, port int64) map[string]interface{} {
	ports, _ := utils.Field(svc, "spec.ports").([]interface{})
	for _, p := range ports {
		if m, _ := p.(map[string]interface{}); m["port"] == port {
			return m
		}
	}
	return nil
}
