package verify

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
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

func apiChecks(c *Cluster, t Target) []check {
	return []check{
		{name: CheckInjection, level: LevelAPI, skip: injectionOff(t), fn: func(ctx context.Context) (string, error) { return injectionLabeled(ctx, c, t) }},
		{name: CheckDeployments, level: LevelAPI, fn: func(ctx context.Context) (string, error) { return workloadsAvailable(ctx, c, t) }},
		{name: CheckEndpoints, level: LevelAPI, fn: func(ctx context.Context) (string, error) { return servicesHaveEndpoints(ctx, c, t) }},
		{name: CheckReleases, level: LevelAPI, fn: func(ctx context.Context) (string, error) { return releasesDeployed(ctx, c, t) }},
		{name: CheckRouting, level: LevelAPI, fn: func(ctx context.Context) (string, error) { return routesToFirstHop(ctx, c, t) }},
		{name: CheckRevisions, level: LevelAPI, fn: func(ctx context.Context) (string, error) { return revisionsRun(ctx, c, t) }},
	}
}

// injectionOff skips what only holds with sidecars when the stack turned
// injection off (istio:sidecarInjection: false, e.g. on the sandbox, which
// has no Envoy to inject).
func injectionOff(t Target) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		if t.SidecarInjection {
			return "", nil
		}
		return fmt.Sprintf("sidecar injection is off (istio:sidecarInjection: false): %s is not labeled for it", t.Namespace), nil
	}
}

func injectionLabeled(ctx context.Context, c *Cluster, t Target) (string, error) {
	ns, err := c.Kube.CoreV1().Namespaces().Get(ctx, t.Namespace, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if t.IstiodRevision != "" {
		return revisionSelected(ctx, c, t, ns.Labels)
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
// DaemonSet in the stack's namespaces is Current as kstatus (the readiness
// rules of kubectl, Flux and Config Sync) judges it: observed, rolled
// out, all replicas available.
func workloadsAvailable(ctx context.Context, c *Cluster, t Target) (string, error) {
	w, err := judgeWorkloads(ctx, c, t)
	if err != nil {
		return "", err
	}
	if err := w.err(); err != nil {
		return "", err
	}
	return strings.Join(w.current, ", ") + " current", nil
}

// toUnstructured is a typed object as kstatus reads it (typed lists leave
// apiVersion and kind empty).
func toUnstructured(obj runtime.Object, gvk schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// servicesHaveEndpoints: every selector Service in the app namespace, and the
// ingress gateway's, has at least one ready endpoint.
func servicesHaveEndpoints(ctx context.Context, c *Cluster, t Target) (string, error) {
	type svcRef struct{ ns, name string }
	refs := []svcRef{{t.IstioNamespace, components.IngressGatewayService(t.IngressAPI)}}
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
