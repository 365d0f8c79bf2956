package components

import (
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PrometheusSpec is Prometheus (`telemetry:prometheusImage`,
// `telemetry:prometheusResources`, `telemetry:scrapeInterval`, `telemetry:retention`).
type PrometheusSpec struct {
	Image     string    `json:"prometheusImage"`
	Resources Resources `json:"prometheusResources"`
	// ScrapeInterval is how often every target is scraped.
	ScrapeInterval string `json:"scrapeInterval"`
	// Retention is how long samples are kept (on the pod's emptyDir).
	Retention string `json:"retention"`
}

// Defaults are the pinned Prometheus, scraping every 15 s and keeping 6 h.
func (s *PrometheusSpec) Defaults() {
	*s = PrometheusSpec{
		Image:          playk8s.Version("PROMETHEUS_IMAGE"),
		Resources:      backendResources(),
		ScrapeInterval: "15s",
		Retention:      "6h",
	}
}

// Validate refuses a malformed image, resources or duration.
func (s PrometheusSpec) Validate() field.ErrorList {
	errs := rule.Image(field.NewPath("prometheusImage"), s.Image)
	errs = append(errs, s.Resources.Validate(field.NewPath("prometheusResources"))...)
	errs = append(errs, rule.PromDuration(field.NewPath("scrapeInterval"), s.ScrapeInterval)...)
	return append(errs, rule.PromDuration(field.NewPath("retention"), s.Retention)...)
}

// PrometheusService and PrometheusPort are where Prometheus answers: svc/prometheus:9090.
const (
	PrometheusService = "prometheus"
	PrometheusPort    = 9090
)

// prometheusBackend is Prometheus as registered, and the command that
// forwards it.
type prometheusBackend struct {
	deployment         *appsv1.Deployment
	service            *Service
	portForwardCommand pulumi.StringOutput
}

// newPrometheus registers Prometheus in the mesh's root namespace: its
// account and its read access in each namespace it scrapes, its
// configuration, the Deployment and svc/prometheus.
func newPrometheus(ctx *pulumi.Context, s PrometheusSpec, mesh MeshAttachment, parent pulumi.ResourceOption) (prometheusBackend, error) {
	ns := mesh.SystemNamespace
	sa, err := prometheusAccount(ctx, ns, scrapedNamespaces(mesh), parent)
	if err != nil {
		return prometheusBackend{}, err
	}
	config := pulumi.All(mesh.SystemNamespace, mesh.AppNamespace).ApplyT(func(names []interface{}) (string, error) {
		return renderYAML(prometheusConfig(s, names[0].(string), names[1].(string)))
	}).(pulumi.StringOutput)
	cm, err := corev1.NewConfigMap(ctx, "prometheus", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: ns, Labels: pulumi.StringMap{"app": pulumi.String("prometheus")}},
		Data:     pulumi.StringMap{"prometheus.yml": config},
	}, parent)
	if err != nil {
		return prometheusBackend{}, err
	}
	deployment, err := newTelemetryDeployment(ctx, telemetryWorkload{
		name: "prometheus", namespace: ns, image: s.Image, uid: 65534,
		serviceAccount: sa,
		args: []string{
			"--config.file=/etc/prometheus/prometheus.yml",
			"--storage.tsdb.path=/prometheus",
			"--storage.tsdb.retention.time=" + s.Retention,
		},
		ports:     map[string]int{"http": PrometheusPort},
		probe:     HTTPProbe{Path: "/-/ready", Port: PrometheusPort, PeriodSeconds: 5},
		resources: s.Resources,
		configMap: cm, configMountPath: "/etc/prometheus",
		scratch: []string{"/prometheus"},
	}, parent)
	if err != nil {
		return prometheusBackend{}, err
	}
	svc, forward, err := newTelemetryService(ctx, PrometheusService, ns, PrometheusPort, deployment, parent)
	if err != nil {
		return prometheusBackend{}, err
	}
	return prometheusBackend{deployment: deployment, service: svc, portForwardCommand: forward}, nil
}

// scrapedNamespace is a namespace Prometheus discovers targets in: the
// suffix of its Role's resource name, and the namespace.
type scrapedNamespace struct {
	part string
	name pulumi.StringOutput
}

// scrapedNamespaces are the namespaces Prometheus scrapes, and the only
// ones it may read: the mesh's root namespace (istiod, the ingress
// gateway, Jaeger) and the app namespace (every workload and its
// sidecar). The gateway runs in the root namespace (IstioMesh places it
// there with either ingress API). Pods of other namespaces are neither
// scraped nor listed, whatever their annotations say.
func scrapedNamespaces(mesh MeshAttachment) []scrapedNamespace {
	return []scrapedNamespace{{"system", mesh.SystemNamespace}, {"app", mesh.AppNamespace}}
}

// prometheusAccount is Prometheus' ServiceAccount, with a Role in each
// namespace it scrapes that may only read pods, all its pod discovery lists
// there. Kubernetes service discovery asks only for the namespaces its
// config names (prometheusConfig), so no cluster-wide grant is needed.
func prometheusAccount(ctx *pulumi.Context, ns pulumi.StringInput, scraped []scrapedNamespace, parent pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	sa, err := corev1.NewServiceAccount(ctx, "prometheus", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: ns},
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, target := range scraped {
		role, err := rbacv1.NewRole(ctx, "prometheus-"+target.part, &rbacv1.RoleArgs{
			Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: target.name},
			Rules: rbacv1.PolicyRuleArray{
				rbacv1.PolicyRuleArgs{
					ApiGroups: pulumi.StringArray{pulumi.String("")},
					Resources: pulumi.StringArray{pulumi.String("pods")},
					Verbs:     readVerbs(),
				},
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := rbacv1.NewRoleBinding(ctx, "prometheus-"+target.part, &rbacv1.RoleBindingArgs{
			Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: target.name},
			RoleRef:  roleRef("Role", role.Metadata.Name().Elem()),
			Subjects: serviceAccountSubject(sa, ns),
		}, parent); err != nil {
			return nil, err
		}
	}
	return sa, nil
}

// prometheusConfig scrapes every pod that asks to be scraped
// (prometheus.io annotations) in the mesh's root and the app namespace:
// service discovery lists those namespaces only, the ones Prometheus'
// Roles cover. istiod is among them: its chart annotates its pods for
// port 15014, and this one job scrapes each of them once, as Istio's own
// Prometheus addon does (a job of its own on the istiod Service would
// scrape the same pods a second time and double every sum of Istio's
// control plane dashboard).
// Istio's metrics merging (on by default) rewrites an injected pod's
// prometheus.io annotations to the sidecar's port 15020, which serves Envoy's
// and the application's metrics together: one job covers sidecars and sample-app.
// Each target carries its pod's labels (app, version, ...), namespace and
// name: what Istio's dashboards and make verify select and sum by.
func prometheusConfig(s PrometheusSpec, systemNamespace, appNamespace string) map[string]interface{} {
	return map[string]interface{}{
		"global": map[string]interface{}{"scrape_interval": s.ScrapeInterval},
		"scrape_configs": []interface{}{
			map[string]interface{}{
				"job_name": "kubernetes-pods",
				"kubernetes_sd_configs": []interface{}{map[string]interface{}{
					"role":       "pod",
					"namespaces": map[string]interface{}{"names": []string{systemNamespace, appNamespace}},
				}},
				"relabel_configs": []interface{}{
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_pod_annotation_prometheus_io_scrape"}, "action": "keep", "regex": "true"},
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_pod_annotation_prometheus_io_path"}, "action": "replace", "target_label": "__metrics_path__", "regex": "(.+)"},
					map[string]interface{}{
						"source_labels": []string{"__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"},
						"action":        "replace", "target_label": "__address__",
						"regex": `([^:]+)(?::\d+)?;(\d+)`, "replacement": "$1:$2",
					},
					map[string]interface{}{"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
				},
			},
		},
	}
}
