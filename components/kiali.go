package components

import (
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// KialiSpec is the optional Kiali, the mesh's console (`telemetry:kiali`,
// `telemetry:kialiImage`, `telemetry:kialiResources`).
type KialiSpec struct {
	Enabled   bool      `json:"kiali"`
	Image     string    `json:"kialiImage"`
	Resources Resources `json:"kialiResources"`
}

// Defaults are no Kiali; when enabled, the pinned image with a backend's resources.
func (s *KialiSpec) Defaults() {
	*s = KialiSpec{Image: playk8s.Version("KIALI_IMAGE"), Resources: backendResources()}
}

// Validate refuses a malformed image or resources. Kiali reads the
// stack's Prometheus, which Telemetry always runs: there is no
// Prometheus to be missing.
func (s KialiSpec) Validate() field.ErrorList {
	errs := rule.Image(field.NewPath("kialiImage"), s.Image)
	return append(errs, s.Resources.Validate(field.NewPath("kialiResources"))...)
}

// KialiService and KialiPort are where Kiali answers: svc/kiali:20001, its
// console under KialiWebRoot (Kiali's and Istio's addon's defaults).
const (
	KialiService = "kiali"
	KialiPort    = 20001
	KialiWebRoot = "/kiali"
	// kialiViewer names Kiali's ClusterRole and its binding, as the Kiali
	// server chart names its read-only one.
	kialiViewer = "kiali-viewer"
	// kialiUID is the user the Kiali image runs as.
	kialiUID = 1000
)

// kialiBackend is Kiali as registered, and the command that forwards it.
// Without Kiali: no Deployment, and "" for the command (the output stays, empty).
type kialiBackend struct {
	deployment         *appsv1.Deployment
	portForwardCommand pulumi.StringOutput
}

// newKiali registers Kiali in the mesh's root namespace when the spec
// enables it: its account, bound to a read-only ClusterRole, its
// configuration (the stack's Prometheus and Jaeger, the mesh's
// namespaces), the Deployment, a NetworkPolicy that lets nothing in but
// port-forwards, and svc/kiali.
func newKiali(ctx *pulumi.Context, s KialiSpec, mesh MeshAttachment, parent pulumi.ResourceOption) (kialiBackend, error) {
	if !s.Enabled {
		return kialiBackend{portForwardCommand: pulumi.String("").ToStringOutput()}, nil
	}
	ns := mesh.SystemNamespace
	sa, err := kialiAccount(ctx, ns, parent)
	if err != nil {
		return kialiBackend{}, err
	}
	config := pulumi.All(mesh.SystemNamespace, mesh.AppNamespace).ApplyT(func(names []interface{}) (string, error) {
		return renderYAML(kialiConfig(names[0].(string), names[1].(string)))
	}).(pulumi.StringOutput)
	cm, err := corev1.NewConfigMap(ctx, "kiali", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("kiali"), Namespace: ns, Labels: pulumi.StringMap{"app": pulumi.String("kiali")}},
		Data:     pulumi.StringMap{"config.yaml": config},
	}, parent)
	if err != nil {
		return kialiBackend{}, err
	}
	deployment, err := newTelemetryDeployment(ctx, telemetryWorkload{
		name: "kiali", namespace: ns, image: s.Image, uid: kialiUID,
		serviceAccount: sa,
		// The image's entrypoint is the server.
		args:  []string{"-config", "/kiali-configuration/config.yaml"},
		ports: map[string]int{"http": KialiPort},
		// Kiali answers once its caches of the cluster are filled: give it
		// a minute before the kubelet restarts it.
		probe:     HTTPProbe{Path: KialiWebRoot + "/healthz", Port: KialiPort, InitialDelaySeconds: 5, PeriodSeconds: 10, FailureThreshold: 6},
		resources: s.Resources,
		configMap: cm, configMountPath: "/kiali-configuration",
	}, parent)
	if err != nil {
		return kialiBackend{}, err
	}
	if mesh.Policy.NetworkPolicies {
		// Only a port-forward reaches Kiali: it enters the pod's own
		// network namespace, where no NetworkPolicy applies (nor to the
		// kubelet's probes from the node); every other connection in is refused.
		if _, err := networkPolicy(ctx, "kiali-port-forward-only", "kiali-port-forward-only", ns,
			map[string]string{"app": "kiali"}, nil, nil, []string{"Ingress"}, parent); err != nil {
			return kialiBackend{}, err
		}
	}
	_, forward, err := newTelemetryService(ctx, KialiService, ns, KialiPort, deployment, parent)
	if err != nil {
		return kialiBackend{}, err
	}
	return kialiBackend{deployment: deployment, portForwardCommand: forward}, nil
}

// kialiAccount is Kiali's ServiceAccount, bound to kialiViewerRules
// cluster-wide: Kiali's server reads the mesh through cluster-wide
// informers (deployment.cluster_wide_access, the only mode the Kiali
// server chart supports), and its discovery selectors then narrow what it
// shows to the mesh's namespaces.
func kialiAccount(ctx *pulumi.Context, ns pulumi.StringInput, parent pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	sa, err := corev1.NewServiceAccount(ctx, "kiali", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("kiali"), Namespace: ns},
	}, parent)
	if err != nil {
		return nil, err
	}
	role, err := rbacv1.NewClusterRole(ctx, kialiViewer, &rbacv1.ClusterRoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(kialiViewer)},
		Rules:    kialiViewerRules(),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := rbacv1.NewClusterRoleBinding(ctx, kialiViewer, &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(kialiViewer)},
		RoleRef:  roleRef("ClusterRole", role.Metadata.Name().Elem()),
		Subjects: serviceAccountSubject(sa, ns),
	}, parent); err != nil {
		return nil, err
	}
	return sa, nil
}

// kialiViewerRules are the Kiali server chart's read-only ClusterRole
// (kiali-viewer, what it binds in view_only_mode) less every verb that is
// not a read: get, list and watch on what Kiali's informers and pages
// read. Left out: pods/portforward create (Kiali reaches istiod's debug
// endpoints and the proxies' admin ports that way; the configuration
// turns the Istio API off instead), tokenreviews create (the token login,
// unused with anonymous), and OpenShift's groups.
func kialiViewerRules() rbacv1.PolicyRuleArray {
	rule := func(groups, resources []string) rbacv1.PolicyRuleArgs {
		return rbacv1.PolicyRuleArgs{ApiGroups: pulumi.ToStringArray(groups), Resources: pulumi.ToStringArray(resources), Verbs: readVerbs()}
	}
	return rbacv1.PolicyRuleArray{
		rule([]string{""}, []string{"configmaps", "endpoints", "pods/log"}),
		rule([]string{""}, []string{"namespaces", "pods", "replicationcontrollers", "services"}),
		rule([]string{"apps"}, []string{"daemonsets", "deployments", "replicasets", "statefulsets"}),
		rule([]string{"batch"}, []string{"cronjobs", "jobs"}),
		rule([]string{
			"networking.istio.io", "security.istio.io", "extensions.istio.io", "telemetry.istio.io",
			"gateway.networking.k8s.io", "inference.networking.k8s.io",
		}, []string{"*"}),
		// How Kiali finds the control planes: istiod's injection webhooks.
		rule([]string{"admissionregistration.k8s.io"}, []string{"mutatingwebhookconfigurations"}),
	}
}

// kialiConfig is the Kiali server's config.yaml: the stack's Prometheus
// and Jaeger (by Service, in the mesh's root namespace), the mesh's
// namespaces, and nothing Kiali could change or would need more rights for.
func kialiConfig(systemNamespace, appNamespace string) map[string]interface{} {
	svc := func(name string, port int) string {
		return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d", name, systemNamespace, port)
	}
	return map[string]interface{}{
		// Anonymous: Kiali is reached through a port-forward (its
		// NetworkPolicy refuses the rest, where istio:networkPolicies is
		// on), which takes the user's own right to port-forward in the
		// namespace; view-only mode and a read-only account leave nothing
		// to change once there. A login would guard no more.
		"auth":            map[string]interface{}{"strategy": "anonymous"},
		"istio_namespace": systemNamespace,
		"deployment": map[string]interface{}{
			"namespace":           systemNamespace,
			"instance_name":       "kiali",
			"view_only_mode":      true,
			"cluster_wide_access": true,
			// What Kiali shows: the control plane and the app, no other namespace.
			"discovery_selectors": map[string]interface{}{
				"default": []interface{}{map[string]interface{}{
					"matchExpressions": []interface{}{map[string]interface{}{
						"key": "kubernetes.io/metadata.name", "operator": "In", "values": []string{systemNamespace, appNamespace},
					}},
				}},
			},
		},
		// One cluster: no remote-cluster secrets to look for (and no right to list Secrets).
		"clustering": map[string]interface{}{"autodetect_secrets": map[string]interface{}{"enabled": false}},
		"kiali_feature_flags": map[string]interface{}{
			// The indicators read istiod's CA Secrets, which Kiali may not.
			"certificates_information_indicators": map[string]interface{}{"enabled": false},
		},
		"external_services": map[string]interface{}{
			"prometheus": map[string]interface{}{"url": svc(PrometheusService, PrometheusPort)},
			"tracing": map[string]interface{}{
				"enabled":  true,
				"provider": "jaeger",
				// Jaeger's HTTP query API on svc/tracing: the stack's Jaeger
				// serves no gRPC query port.
				"in_cluster_url": svc(JaegerQueryService, JaegerQueryServicePort),
				"use_grpc":       false,
				// Kiali's links to Jaeger's UI, after jaegerPortForward.
				"url": fmt.Sprintf("http://localhost:%d", JaegerUIPort),
			},
			"istio": map[string]interface{}{
				"root_namespace": systemNamespace,
				// istiod's debug endpoints are reached by port-forward, a
				// right Kiali is not given: its validations and proxy status
				// go, its graph, metrics, traces and Istio config stay.
				"istio_api_enabled": false,
			},
			// Kiali would look Grafana's dashboards up with Grafana's admin
			// credentials; it gets none.
			"grafana": map[string]interface{}{"enabled": false},
		},
		"server": map[string]interface{}{
			"port":     KialiPort,
			"web_root": KialiWebRoot,
			// Nothing scrapes Kiali's own metrics.
			"observability": map[string]interface{}{"metrics": map[string]interface{}{"enabled": false}},
		},
	}
}
