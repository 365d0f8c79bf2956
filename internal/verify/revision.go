package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CheckRevisions is the API-level check of which istiod revision injected
// each workload.
const CheckRevisions = "workloads run on the selected istiod revision"

// sidecarStatusAnnotation is what Istio's injector writes on every pod it
// injects, with the revision that did it.
const sidecarStatusAnnotation = "sidecar.istio.io/status"

// defaultRevision is how Istio names the revision-less istiod.
const defaultRevision = "default"

// gatewayManagedLabel marks the pods of a Deployment that istiod's gateway
// controller rendered for a Gateway API Gateway. Such a pod is never
// injected (its template sets sidecar.istio.io/inject "false" and holds the
// proxy itself); the controller records the revision it rendered it with
// in the pod's istio.io/rev annotation instead.
const gatewayManagedLabel = "gateway.istio.io/managed"

// revisionsRun reports, per workload, the istiod revision that injected
// its pods (the injector's own record on each pod) and fails where it is
// not the one the stack selects (output istiodRevision, Istio's "default"
// without revisions): after a revision tag moved, pods that were not
// rolled still run on the old revision. The ingress gateway's pods are
// always injected; the app's only with sidecar injection on.
func revisionsRun(ctx context.Context, c *Cluster, t Target) (string, error) {
	want := t.IstiodRevision
	if want == "" {
		want = defaultRevision
	}
	type group struct{ namespace, selector string }
	groups := []group{{t.IstioNamespace, components.IngressGatewaySelector(t.IngressAPI)}}
	if t.SidecarInjection {
		groups = append(groups, group{t.Namespace, ""})
	}
	runs := map[string][]string{} // revision -> workloads
	var problems []string
	for _, g := range groups {
		pods, err := c.Kube.CoreV1().Pods(g.namespace).List(ctx, metav1.ListOptions{LabelSelector: g.selector})
		if err != nil {
			return "", err
		}
		seen := map[string]bool{}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				continue
			}
			workload := g.namespace + "/" + workloadOf(p)
			got, err := podRevision(p)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("%s (pod %s): %v", workload, p.Name, err))
			case got == "":
				problems = append(problems, fmt.Sprintf("%s (pod %s) has no sidecar: no istiod injected it", workload, p.Name))
			case got != want:
				problems = append(problems, fmt.Sprintf("%s (pod %s) runs on revision %s, the stack selects %s: roll it (`kubectl rollout restart`)", workload, p.Name, got, want))
			}
			if got != "" && !seen[workload+got] {
				seen[workload+got] = true
				runs[got] = append(runs[got], workload)
			}
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if len(runs) == 0 {
		return "", fmt.Errorf("no injected pod found in %s (selector %s)", t.IstioNamespace, components.IngressGatewaySelector(t.IngressAPI))
	}
	revisions := make([]string, 0, len(runs))
	for rev, workloads := range runs {
		sort.Strings(workloads)
		revisions = append(revisions, fmt.Sprintf("revision %s: %s", rev, strings.Join(workloads, ", ")))
	}
	sort.Strings(revisions)
	detail := strings.Join(revisions, "; ")
	if !t.SidecarInjection {
		detail += fmt.Sprintf(" (%s is not injected: istio:sidecarInjection is false)", t.Namespace)
	}
	return detail, nil
}

// podRevision is the istiod revision a pod runs on: the one istiod's
// gateway controller rendered it with, or the one that injected it; ""
// when neither did.
func podRevision(p corev1.Pod) (string, error) {
	if _, managed := p.Labels[gatewayManagedLabel]; managed {
		if rev := p.Annotations[components.RevisionLabel]; rev != "" {
			return rev, nil
		}
	}
	return InjectedRevision(p.Annotations)
}

// InjectedRevision is the revision Istio's injector recorded in a pod's
// annotations ("default" for the revision-less istiod), "" when it
// injected nothing.
func InjectedRevision(annotations map[string]string) (string, error) {
	raw, ok := annotations[sidecarStatusAnnotation]
	if !ok {
		return "", nil
	}
	var status struct {
		Revision string `json:"revision"`
	}
	if err := json.Unmarshal([]byte(raw), &status); err != nil {
		return "", fmt.Errorf("annotation %s is not the injector's JSON: %v", sidecarStatusAnnotation, err)
	}
	if status.Revision == "" {
		return defaultRevision, nil
	}
	return status.Revision, nil
}

// workloadOf names a pod's workload by its app label (the gateway
// chart's and the chain's), the Gateway it was provisioned for, else the
// pod's own name.
func workloadOf(p corev1.Pod) string {
	for _, label := range []string{"app", components.GatewayNameLabel} {
		if v := p.Labels[label]; v != "" {
			return v
		}
	}
	return p.Name
}

// revisionSelected checks the app namespace's istio.io/rev: the revision
// the stack runs on, or a tag whose injection webhook points at it.
func revisionSelected(ctx context.Context, c *Cluster, t Target, labels map[string]string) (string, error) {
	selected := labels[components.RevisionLabel]
	if selected == "" {
		return "", fmt.Errorf("namespace %s has no label %s: the stack selects revision %s", t.Namespace, components.RevisionLabel, t.IstiodRevision)
	}
	if selected == t.IstiodRevision {
		return fmt.Sprintf("%s: %s=%s", t.Namespace, components.RevisionLabel, selected), nil
	}
	name := components.RevisionTagWebhookName(selected, t.IstioNamespace)
	tag, err := c.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("namespace %s selects %s=%s, which is neither the revision %s nor a tag (%s: %v)", t.Namespace, components.RevisionLabel, selected, t.IstiodRevision, name, err)
	}
	if points := tag.Labels[components.RevisionLabel]; points != t.IstiodRevision {
		return "", fmt.Errorf("namespace %s selects tag %s, which points at revision %s, not the stack's %s", t.Namespace, selected, points, t.IstiodRevision)
	}
	return fmt.Sprintf("%s: %s=%s, a tag pointing at revision %s", t.Namespace, components.RevisionLabel, selected, t.IstiodRevision), nil
}
