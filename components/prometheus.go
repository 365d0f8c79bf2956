package components

import (
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
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

// prometheus registers Prometheus: its account, its configuration, the
// Deployment and svc/prometheus.
func (c *Telemetry) prometheus(ctx *pulumi.Context, s PrometheusSpec, ns pulumi.StringInput, parent pulumi.ResourceOption) error {
	sa, err := prometheusAccount(ctx, ns, parent)
	if err != nil {
		return err
	}
	config, err := renderYAML(prometheusConfig(s))
	if err != nil {
		return err
	}
	cm, err := corev1.NewConfigMap(ctx, "prometheus", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: ns, Labels: pulumi.StringMap{"app": pulumi.String("prometheus")}},
		Data:     pulumi.StringMap{"prometheus.yml": pulumi.String(config)},
	}, parent)
	if err != nil {
		return err
	}
	c.PrometheusDeployment, err = newTelemetryDeployment(ctx, telemetryWorkload{
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
		return err
	}
	c.PrometheusService, err = NewService(ctx, PrometheusService, &ServiceArgs{
		Namespace: ns, Type: ServiceTypeClusterIP, SkipAwait: true,
		Selector: map[string]string{"app": "prometheus"}, Labels: map[string]string{"app": "prometheus"},
		Ports: []ServicePort{{Name: "http", Port: PrometheusPort}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{c.PrometheusDeployment}))
	return err
}

// prometheusAccount is Prometheus' ServiceAccount, bound to a ClusterRole
// that may only read what service discovery lists.
func prometheusAccount(ctx *pulumi.Context, ns pulumi.StringInput, parent pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	sa, err := corev1.NewServiceAccount(ctx, "prometheus", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: ns},
	}, parent)
	if err != nil {
		return nil, err
	}
	// Read-only discovery of scrape targets: the least Prometheus needs.
	role, err := rbacv1.NewClusterRole(ctx, "prometheus", &rbacv1.ClusterRoleArgs{
		// Auto-named (a cluster-wide name must not collide with another install).
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations()},
		Rules: rbacv1.PolicyRuleArray{
			rbacv1.PolicyRuleArgs{
				ApiGroups: pulumi.StringArray{pulumi.String("")},
				Resources: pulumi.StringArray{pulumi.String("pods"), pulumi.String("services"), pulumi.String("endpoints")},
				Verbs:     pulumi.StringArray{pulumi.String("get"), pulumi.String("list"), pulumi.String("watch")},
			},
			rbacv1.PolicyRuleArgs{
				ApiGroups: pulumi.StringArray{pulumi.String("discovery.k8s.io")},
				Resources: pulumi.StringArray{pulumi.String("endpointslices")},
				Verbs:     pulumi.StringArray{pulumi.String("get"), pulumi.String("list"), pulumi.String("watch")},
			},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := rbacv1.NewClusterRoleBinding(ctx, "prometheus", &rbacv1.ClusterRoleBindingArgs{
		// Auto-named (a cluster-wide name must not collide with another install).
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations()},
		RoleRef: &rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("ClusterRole"),
			Name:     role.Metadata.Name().Elem(),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind:      pulumi.String("ServiceAccount"),
			Name:      sa.Metadata.Name().Elem(),
			Namespace: ns,
		}},
	}, parent); err != nil {
		return nil, err
	}
	return sa, nil
}

// prometheusConfig scrapes istiod (each revision's Service istiod-<revision>
// too) and every pod that asks to be scraped.
// Istio's metrics merging (on by default) rewrites an injected pod's
// prometheus.io annotations to the sidecar's port 15020, which serves Envoy's
// and the application's metrics together: one job covers sidecars and sample-app.
func prometheusConfig(s PrometheusSpec) map[string]interface{} {
	return map[string]interface{}{
		"global": map[string]interface{}{"scrape_interval": s.ScrapeInterval},
		"scrape_configs": []interface{}{
			map[string]interface{}{
				"job_name":              "istiod",
				"kubernetes_sd_configs": []interface{}{map[string]interface{}{"role": "endpoints"}},
				"relabel_configs": []interface{}{map[string]interface{}{
					"source_labels": []string{"__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"},
					"action":        "keep",
					"regex":         "istiod(-[a-z0-9-]+)?;http-monitoring",
				}},
			},
			map[string]interface{}{
				"job_name":              "kubernetes-pods",
				"kubernetes_sd_configs": []interface{}{map[string]interface{}{"role": "pod"}},
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
