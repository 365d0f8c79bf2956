package verify

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The API-level checks, by name.
const (
	CheckInjection   = "namespace labeled for sidecar injection"
	CheckDeployments = "workloads available"
	CheckEndpoints   = "services have ready endpoints"
	CheckReleases    = "helm releases deployed"
	CheckRouting     = "ingress routes to the first hop"
)

var virtualServices = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

func apiChecks(c *Cluster, t Target) []check {
	return []check{
		{CheckInjection, LevelAPI, func(ctx context.Context) (string, error) { return injectionLabeled(ctx, c, t) }},
		{CheckDeployments, LevelAPI, func(ctx context.Context) (string, error) { return workloadsAvailable(ctx, c, t) }},
		{CheckEndpoints, LevelAPI, func(ctx context.Context) (string, error) { return servicesHaveEndpoints(ctx, c, t) }},
		{CheckReleases, LevelAPI, func(ctx context.Context) (string, error) { return releasesDeployed(ctx, c, t) }},
		{CheckRouting, LevelAPI, func(ctx context.Context) (string, error) { return routesToFirstHop(ctx, c, t) }},
	}
}

func injectionLabeled(ctx context.Context, c *Cluster, t Target) (string, error) {
	ns, err := c.Kube.CoreV1().Namespaces().Get(ctx, t.Namespace, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if v := ns.Labels[components.InjectionLabel]; v != "enabled" {
		return "", fmt.Errorf("namespace %s: label %s=%q, want enabled", t.Namespace, components.InjectionLabel, v)
	}
	return fmt.Sprintf("%s: %s=enabled", t.Namespace, components.InjectionLabel), nil
}

// namespaces are every namespace the stack runs workloads in: the app's,
// Istio's and each release's, sorted and unique.
func (t Target) namespaces() []string {
	all := []string{t.Namespace, t.IstioNamespace}
	for _, ns := range t.Releases {
		all = append(all, ns)
	}
	return uniqueSorted(all)
}

// workloadsAvailable: every hop has a Deployment, and every Deployment and
// DaemonSet in the stack's namespaces has all its pods updated and available.
func workloadsAvailable(ctx context.Context, c *Cluster, t Target) (string, error) {
	var seen, problems []string
	names := map[string]bool{}
	for _, ns := range t.namespaces() {
		list, err := c.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			d := &list.Items[i]
			if ns == t.Namespace {
				names[d.Name] = true
			}
			want := int32(1)
			if d.Spec.Replicas != nil {
				want = *d.Spec.Replicas
			}
			state := fmt.Sprintf("%s/%s %d/%d", ns, d.Name, d.Status.AvailableReplicas, want)
			seen = append(seen, state)
			if !deploymentComplete(d, want) {
				problems = append(problems, fmt.Sprintf("%s available (updated %d)", state, d.Status.UpdatedReplicas))
			}
		}
		sets, err := c.Kube.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", err
		}
		for _, ds := range sets.Items {
			s := ds.Status
			state := fmt.Sprintf("%s/%s %d/%d", ns, ds.Name, s.NumberAvailable, s.DesiredNumberScheduled)
			seen = append(seen, state)
			if s.ObservedGeneration < ds.Generation || s.UpdatedNumberScheduled != s.DesiredNumberScheduled || s.NumberAvailable != s.DesiredNumberScheduled {
				problems = append(problems, fmt.Sprintf("%s available (updated %d)", state, s.UpdatedNumberScheduled))
			}
		}
	}
	for _, hop := range t.Hops {
		if !names[components.HopServiceName(hop)] {
			problems = append(problems, fmt.Sprintf("no deployment %s/%s", t.Namespace, components.HopServiceName(hop)))
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return strings.Join(seen, ", "), nil
}

func deploymentComplete(d *appsv1.Deployment, want int32) bool {
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want
}

// servicesHaveEndpoints: every selector Service in the app namespace, and the
// ingress gateway's, has at least one ready endpoint.
func servicesHaveEndpoints(ctx context.Context, c *Cluster, t Target) (string, error) {
	type svcRef struct{ ns, name string }
	refs := []svcRef{{t.IstioNamespace, components.GatewayReleaseName}}
	list, err := c.Kube.CoreV1().Services(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, s := range list.Items {
		if len(s.Spec.Selector) > 0 {
			refs = append(refs, svcRef{t.Namespace, s.Name})
		}
	}
	var seen, problems []string
	for _, r := range refs {
		slices, err := c.Kube.DiscoveryV1().EndpointSlices(r.ns).List(ctx, metav1.ListOptions{
			LabelSelector: discoveryv1.LabelServiceName + "=" + r.name,
		})
		if err != nil {
			return "", err
		}
		ready := 0
		for _, sl := range slices.Items {
			for _, ep := range sl.Endpoints {
				if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
					ready++
				}
			}
		}
		if ready == 0 {
			problems = append(problems, fmt.Sprintf("%s/%s has no ready endpoint", r.ns, r.name))
			continue
		}
		seen = append(seen, fmt.Sprintf("%s/%s %d", r.ns, r.name, ready))
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return strings.Join(seen, ", "), nil
}

// releasesDeployed reads Helm's release records (Secrets labeled owner=helm
// in each release's namespace): the newest revision of each release must be
// "deployed", not failed or stuck pending.
func releasesDeployed(ctx context.Context, c *Cluster, t Target) (string, error) {
	type latest struct {
		version int
		status  string
	}
	newest := map[string]latest{} // namespace/name -> newest revision
	listed := map[string]bool{}
	for _, ns := range t.Releases {
		if listed[ns] {
			continue
		}
		listed[ns] = true
		secrets, err := c.Kube.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
		if err != nil {
			return "", err
		}
		for _, s := range secrets.Items {
			v, err := strconv.Atoi(s.Labels["version"])
			if err != nil {
				continue
			}
			if key := ns + "/" + s.Labels["name"]; v > newest[key].version {
				newest[key] = latest{v, s.Labels["status"]}
			}
		}
	}
	var seen, problems []string
	for name, ns := range t.Releases {
		l, ok := newest[ns+"/"+name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("release %s/%s not installed", ns, name))
		case l.status != "deployed":
			problems = append(problems, fmt.Sprintf("release %s/%s revision %d is %s", ns, name, l.version, l.status))
		default:
			seen = append(seen, fmt.Sprintf("%s/%s r%d", ns, name, l.version))
		}
	}
	sort.Strings(seen)
	sort.Strings(problems)
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return strings.Join(seen, ", ") + " deployed", nil
}

// routesToFirstHop: a VirtualService bound to a gateway sends traffic to the first hop.
func routesToFirstHop(ctx context.Context, c *Cluster, t Target) (string, error) {
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
