package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	virtualServices = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
	kubeGateways    = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	httpRoutes      = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
)

// routesToFirstHop: the ingress routes to the first hop, in the stack's
// ingress API.
func routesToFirstHop(ctx context.Context, c *Cluster, t Target) (string, error) {
	if t.IngressAPI == components.IngressAPIGateway {
		return httpRouteToFirstHop(ctx, c, t)
	}
	return virtualServiceToFirstHop(ctx, c, t)
}

// virtualServiceToFirstHop: a VirtualService bound to a gateway sends traffic to the first hop.
func virtualServiceToFirstHop(ctx context.Context, c *Cluster, t Target) (string, error) {
	first := components.HopServiceName(t.Hops[0])
	list, err := c.Dynamic.Resource(virtualServices).Namespace(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing VirtualServices: %w", err)
	}
	for _, vs := range list.Items {
		gateways, _, _ := unstructured.NestedStringSlice(vs.Object, "spec", "gateways")
		if len(gateways) == 0 {
			continue
		}
		routes, _, _ := unstructured.NestedSlice(vs.Object, "spec", "http")
		for _, r := range routes {
			dests, _, _ := unstructured.NestedSlice(r.(map[string]interface{}), "route")
			for _, d := range dests {
				host, _, _ := unstructured.NestedString(d.(map[string]interface{}), "destination", "host")
				if host == first || strings.HasPrefix(host, first+"."+t.Namespace+".") || host == first+"."+t.Namespace {
					return fmt.Sprintf("VirtualService %s (gateways %s) -> %s", vs.GetName(), strings.Join(gateways, ","), host), nil
				}
			}
		}
	}
	return "", fmt.Errorf("no VirtualService in %s bound to a gateway routes to %s (found %d VirtualServices)", t.Namespace, first, len(list.Items))
}

// httpRouteToFirstHop: the ingress Gateway is Accepted and Programmed, and
// an HTTPRoute attached to it, Accepted with its references resolved,
// sends traffic to the first hop. Those conditions are istiod's verdicts,
// not the stack's: they hold only when the real controller took both.
func httpRouteToFirstHop(ctx context.Context, c *Cluster, t Target) (string, error) {
	gw, err := c.Dynamic.Resource(kubeGateways).Namespace(t.IstioNamespace).Get(ctx, components.KubernetesGatewayName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("the ingress Gateway: %w", err)
	}
	gwConditions, _, _ := unstructured.NestedSlice(gw.Object, "status", "conditions")
	if missing := falseConditions(gwConditions, "Accepted", "Programmed"); missing != "" {
		return "", fmt.Errorf("the ingress Gateway %s/%s is not %s", t.IstioNamespace, gw.GetName(), missing)
	}
	first := components.HopServiceName(t.Hops[0])
	list, err := c.Dynamic.Resource(httpRoutes).Namespace(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("listing HTTPRoutes: %w", err)
	}
	for _, route := range list.Items {
		if !routesTo(route, first) {
			continue
		}
		parents, _, _ := unstructured.NestedSlice(route.Object, "status", "parents")
		for _, p := range parents {
			parent, _ := p.(map[string]interface{})
			name, _, _ := unstructured.NestedString(parent, "parentRef", "name")
			ns, _, _ := unstructured.NestedString(parent, "parentRef", "namespace")
			if name != gw.GetName() || (ns != "" && ns != t.IstioNamespace) {
				continue
			}
			conditions, _, _ := unstructured.NestedSlice(parent, "conditions")
			if missing := falseConditions(conditions, "Accepted", "ResolvedRefs"); missing != "" {
				return "", fmt.Errorf("the HTTPRoute %s on Gateway %s is not %s", route.GetName(), name, missing)
			}
			return fmt.Sprintf("Gateway %s/%s Programmed; HTTPRoute %s Accepted -> %s", t.IstioNamespace, name, route.GetName(), first), nil
		}
		return "", fmt.Errorf("the HTTPRoute %s routes to %s but Gateway %s/%s has not accepted it (no status for it)", route.GetName(), first, t.IstioNamespace, gw.GetName())
	}
	return "", fmt.Errorf("no HTTPRoute in %s routes to %s (found %d HTTPRoutes)", t.Namespace, first, len(list.Items))
}

// routesTo says whether a route has a backend reference to the Service.
func routesTo(route unstructured.Unstructured, service string) bool {
	rules, _, _ := unstructured.NestedSlice(route.Object, "spec", "rules")
	for _, r := range rules {
		refs, _, _ := unstructured.NestedSlice(r.(map[string]interface{}), "backendRefs")
		for _, ref := range refs {
			name, _, _ := unstructured.NestedString(ref.(map[string]interface{}), "name")
			kind, _, _ := unstructured.NestedString(ref.(map[string]interface{}), "kind")
			if name == service && (kind == "" || kind == "Service") {
				return true
			}
		}
	}
	return false
}

// falseConditions names the wanted conditions that are not True, with
// their reasons, or "" when all are.
func falseConditions(conditions []interface{}, want ...string) string {
	status := map[string]string{}
	for _, c := range conditions {
		m, _ := c.(map[string]interface{})
		typ, _ := m["type"].(string)
		st, _ := m["status"].(string)
		reason, _ := m["reason"].(string)
		if st == "True" {
			status[typ] = ""
		} else {
			status[typ] = fmt.Sprintf("%s (%s: %s)", typ, st, reason)
		}
	}
	var out []string
	for _, w := range want {
		if msg, ok := status[w]; !ok {
			out = append(out, w+" (no condition yet)")
		} else if msg != "" {
			out = append(out, msg)
		}
	}
	return strings.Join(out, ", ")
}
