package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// workloads is kstatus' judgement of every Deployment and DaemonSet in the
// stack's namespaces, each named namespace/name.
type workloads struct {
	// current are observed, rolled out and fully available.
	current []string
	// inProgress are still rolling out (or not yet observed), with why.
	inProgress []string
	// failed will not get there by waiting: kstatus' Failed (a rollout past
	// its progress deadline), or a hop without its Deployment.
	failed []string
}

// err is nil when every workload is current.
func (w workloads) err() error {
	if problems := append(append([]string{}, w.failed...), w.inProgress...); len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// judgeWorkloads reads the stack's Deployments and DaemonSets and judges
// each as kstatus does.
func judgeWorkloads(ctx context.Context, c *Cluster, t Target) (workloads, error) {
	var w workloads
	judge := func(obj runtime.Object, gvk schema.GroupVersionKind, ns, name string) error {
		u, err := toUnstructured(obj, gvk)
		if err != nil {
			return err
		}
		res, err := kstatus.Compute(u)
		if err != nil {
			return fmt.Errorf("%s %s/%s: %w", gvk.Kind, ns, name, err)
		}
		switch res.Status {
		case kstatus.CurrentStatus:
			w.current = append(w.current, ns+"/"+name)
		case kstatus.FailedStatus:
			w.failed = append(w.failed, fmt.Sprintf("%s/%s %s: %s", ns, name, res.Status, res.Message))
		default:
			w.inProgress = append(w.inProgress, fmt.Sprintf("%s/%s %s: %s", ns, name, res.Status, res.Message))
		}
		return nil
	}
	names := map[string]bool{}
	for _, ns := range t.namespaces() {
		list, err := c.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return workloads{}, err
		}
		for i := range list.Items {
			d := &list.Items[i]
			if ns == t.Namespace {
				// A hop's Deployments carry its app label: service-<hop>
				// alone, or one per version (service-<hop>-<version>).
				names[d.Labels["app"]] = true
			}
			if err := judge(d, appsv1.SchemeGroupVersion.WithKind("Deployment"), ns, d.Name); err != nil {
				return workloads{}, err
			}
		}
		sets, err := c.Kube.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return workloads{}, err
		}
		for i := range sets.Items {
			ds := &sets.Items[i]
			if err := judge(ds, appsv1.SchemeGroupVersion.WithKind("DaemonSet"), ns, ds.Name); err != nil {
				return workloads{}, err
			}
		}
	}
	for _, hop := range t.Hops {
		if !names[components.HopServiceName(hop)] {
			w.failed = append(w.failed, fmt.Sprintf("no deployment %s/%s (nor one labeled app=%[2]s)", t.Namespace, components.HopServiceName(hop)))
		}
	}
	return w, nil
}
