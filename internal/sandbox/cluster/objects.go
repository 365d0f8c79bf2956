package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/configs"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
)

// fieldManager owns what the sandbox applies.
const fieldManager = "sandbox"

// createNode creates a Node for kwok unless it exists (create, not apply:
// a starting API server takes seconds to build the OpenAPI schema apply
// reads).
func (sb *Sandbox) createNode(n configs.SimulatedNode) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		cs, err := sb.client()
		if err != nil {
			return err
		}
		_, err = cs.CoreV1().Nodes().Create(ctx, n.Object(), metav1.CreateOptions{FieldManager: fieldManager})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
}

// applyCoreDNS applies CoreDNS' objects server-side.
func (sb *Sandbox) applyCoreDNS(ctx context.Context) error {
	if _, err := sb.client(); err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(sb.restConfig)
	if err != nil {
		return err
	}
	objs := configs.CoreDNS{
		Image:     playk8s.Version("SANDBOX_COREDNS_IMAGE"),
		ClusterIP: layout.DNSIP,
		Corefile:  configs.Corefile{ClusterDomain: layout.ClusterDomain, TTL: 30, LogQueries: true},
	}.Objects()
	for _, obj := range objs {
		if err := apply(ctx, dyn, obj); err != nil {
			return err
		}
	}
	sb.Log.Info("cluster DNS at " + layout.DNSIP + " (CoreDNS, no upstream: names outside the cluster do not resolve)")
	return nil
}

// resources maps the kinds the sandbox applies to their resources.
var resources = map[string]string{
	"ServiceAccount": "serviceaccounts", "ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings",
	"ConfigMap": "configmaps", "Deployment": "deployments", "Service": "services",
}

func apply(ctx context.Context, dyn *dynamic.DynamicClient, obj runtime.Object) error {
	gvk := obj.GetObjectKind().GroupVersionKind()
	m, ok := obj.(metav1.Object)
	if !ok {
		return fmt.Errorf("%s is not an object", gvk.Kind)
	}
	res, ok := resources[gvk.Kind]
	if !ok {
		return fmt.Errorf("no resource known for kind %s", gvk.Kind)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	gvr := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: res}
	var client dynamic.ResourceInterface = dyn.Resource(gvr)
	if m.GetNamespace() != "" {
		client = dyn.Resource(gvr).Namespace(m.GetNamespace())
	}
	_, err = client.Patch(ctx, m.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: fieldManager, Force: ptr.To(true)})
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", gvk.Kind, m.GetName(), err)
	}
	return nil
}
