package components

import (
	"slices"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ReservedNamespaces are Kubernetes' own namespaces. The stack never
// creates, labels or deletes them: destroy would try to delete kube-system
// with everything in it.
func ReservedNamespaces() []string {
	return []string{"default", "kube-node-lease", "kube-public", "kube-system"}
}

// SharedCNINamespace is the one reserved namespace a key may name:
// istio-cni's node agent runs in kube-system on GKE, which allows
// system-node-critical pods there only. The stack installs the release
// into it as it is, and destroy leaves it as it was.
const SharedCNINamespace = "kube-system"

func isReserved(namespace string) bool { return slices.Contains(ReservedNamespaces(), namespace) }

// validateNamespaces refuses Kubernetes' own namespaces where the stack
// would own them: the control plane's and the app's namespaces carry the
// stack's labels (Pod Security, injection) and go with it on destroy.
func (s IstioMeshSpec) validateNamespaces() field.ErrorList {
	var errs field.ErrorList
	for _, key := range []struct {
		path  *field.Path
		value string
	}{{field.NewPath("namespace"), s.Namespace}, {field.NewPath("appNamespace"), s.AppNamespace}} {
		if isReserved(key.value) {
			errs = append(errs, rule.Refuse(key.path, key.value, "a namespace of the stack's own, not one of Kubernetes' (default, kube-node-lease, kube-public, kube-system): the stack labels it and deletes it on destroy")...)
		}
	}
	if s.CNI.Enabled && isReserved(s.CNI.Namespace) && s.CNI.Namespace != SharedCNINamespace {
		errs = append(errs, rule.Refuse(field.NewPath("cni", "namespace"), s.CNI.Namespace, "a namespace of the stack's own, or kube-system used as it is (GKE); not default, kube-node-lease or kube-public")...)
	}
	return errs
}

// ownsCNINamespace says whether istio-cni gets a namespace of its own
// from the stack: not when it shares the control plane's or runs in
// kube-system.
func (s IstioMeshSpec) ownsCNINamespace() bool {
	return s.CNI.Enabled && s.CNI.Namespace != s.Namespace && !isReserved(s.CNI.Namespace)
}

// namespaceClaims are the namespaces the stack creates, by the key naming each.
func (s IstioMeshSpec) namespaceClaims() []ownership.Claim {
	claim := func(key, name string) ownership.Claim {
		return ownership.Claim{Key: key, Object: ownership.Object{Resource: namespaceResource, Kind: "namespace", Name: name}}
	}
	claims := []ownership.Claim{claim("istio:namespace", s.Namespace), claim("istio:appNamespace", s.AppNamespace)}
	if s.ownsCNINamespace() {
		claims = append(claims, claim("istio:cni.namespace", s.CNI.Namespace))
	}
	return claims
}

// stackAnnotations mark an object the stack owns in a scope it shares
// with others (a namespace, a cluster-scoped object): ownership.Check
// accepts an existing object only with this stack's mark.
func stackAnnotations(ctx *pulumi.Context) map[string]string {
	return map[string]string{ownership.Annotation: ownership.Owner(ctx.Project(), ctx.Stack())}
}

// meshNamespaces are the namespaces an IstioMesh registered: the control
// plane's, the app's and istio-cni's. cni is the control plane's when
// istio-cni shares it, nil when it is off or runs in kube-system as it is.
type meshNamespaces struct {
	system, app, cni *corev1.Namespace
}

// systemName and appName are the namespaces' names, as outputs: what uses
// them waits for the namespace to exist.
func (n meshNamespaces) systemName() pulumi.StringOutput { return n.system.Metadata.Name().Elem() }
func (n meshNamespaces) appName() pulumi.StringOutput    { return n.app.Metadata.Name().Elem() }

// newMeshNamespaces registers the control plane's, the app's and
// istio-cni's namespaces. They are Pulumi resources, not Helm's
// createNamespace: Helm never deletes a namespace it created, so destroy
// would leave them behind.
func newMeshNamespaces(ctx *pulumi.Context, s IstioMeshSpec, proxyless bool, opts ...pulumi.ResourceOption) (meshNamespaces, error) {
	system, err := newNamespace(ctx, s.Namespace, podSecurityLabels(s.PodSecurity.System), opts...)
	if err != nil {
		return meshNamespaces{}, err
	}
	app, err := newNamespace(ctx, s.AppNamespace, mergeMaps(podSecurityLabels(s.PodSecurity.App), s.injectionSelection(proxyless)), opts...)
	if err != nil {
		return meshNamespaces{}, err
	}
	out := meshNamespaces{system: system, app: app}
	switch {
	case !s.CNI.Enabled:
	case s.ownsCNINamespace():
		// The node agent writes the CNI config on every node: it must be
		// privileged, so it is alone in a namespace that allows it.
		out.cni, err = newNamespace(ctx, s.CNI.Namespace, podSecurityLabels(PodSecurityPrivileged), opts...)
	case s.CNI.Namespace == s.Namespace:
		// The control plane's (privileged, by validation).
		out.cni = system
	}
	// Otherwise kube-system, used as it is: no Namespace of the stack's.
	return out, err
}

// injectionSelection is the app namespace's label selecting sidecar
// injection: istio-injection enabled or disabled, or with revisions the
// revision (or tag) whose webhook injects namespaces labeled with it and
// no istio-injection label. With proxyless workloads and no sidecars the
// namespace carries no label at all: istiod's webhooks then inject only
// the pods that ask by their own label (ProxylessInjection), which a
// namespace labeled disabled would refuse them.
func (s IstioMeshSpec) injectionSelection(proxyless bool) map[string]string {
	switch {
	case s.SidecarInjection && len(s.Revisions) > 0:
		return s.revisionSelection()
	case s.SidecarInjection:
		return map[string]string{InjectionLabel: "enabled"}
	case proxyless:
		return nil
	}
	return map[string]string{InjectionLabel: "disabled"}
}

// proxylessInjection is how the app namespace's proxyless pods are
// injected: by the namespace's label when it selects injection, else by
// the pod's own (istiod's object-selector webhooks: sidecar.istio.io/inject,
// or the revision's istio.io/rev); stamped with their revision either way.
func (s IstioMeshSpec) proxylessInjection() *ProxylessInjection {
	out := &ProxylessInjection{PodAnnotations: s.revisionPodAnnotations()}
	switch {
	case s.SidecarInjection:
	case len(s.Revisions) > 0:
		out.PodLabels = s.revisionSelection()
	default:
		out.PodLabels = map[string]string{"sidecar.istio.io/inject": "true"}
	}
	return out
}

// newNamespace registers a namespace the stack owns, marked as its.
func newNamespace(ctx *pulumi.Context, name string, labels map[string]string, opts ...pulumi.ResourceOption) (*corev1.Namespace, error) {
	return corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Annotations: ownedAnnotations(stackAnnotations(ctx)),
			Name:        pulumi.String(name),
			Labels:      stringMap(labels),
		},
	}, opts...)
}
