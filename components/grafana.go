package components

import (
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// GrafanaSpec is the optional Grafana (`telemetry:grafana`,
// `telemetry:grafanaImage`, `telemetry:grafanaResources`,
// `telemetry:grafanaAdminPassword`, `telemetry:grafanaDashboards`).
type GrafanaSpec struct {
	Enabled   bool      `json:"grafana"`
	Image     string    `json:"grafanaImage"`
	Resources Resources `json:"grafanaResources"`
	// AdminPassword is read from a Pulumi secret; empty generates one with pulumi-random.
	AdminPassword string `json:"grafanaAdminPassword" config:"secret"`
	// Dashboards provisions Istio's dashboards (grafanadashboards.go) in
	// the Grafana the stack runs: on by default, as Istio's own Grafana
	// addon ships them; false leaves a bare Grafana. Without Grafana it
	// reads nothing.
	Dashboards bool `json:"grafanaDashboards"`
}

// Defaults are no Grafana; when enabled, the pinned image with a backend's
// resources and Istio's dashboards.
func (s *GrafanaSpec) Defaults() {
	*s = GrafanaSpec{Image: playk8s.Version("GRAFANA_IMAGE"), Resources: backendResources(), Dashboards: true}
}

// Validate refuses a malformed image or resources, and a password for a
// Grafana that is not deployed.
func (s GrafanaSpec) Validate() field.ErrorList {
	errs := rule.Image(field.NewPath("grafanaImage"), s.Image)
	errs = append(errs, s.Resources.Validate(field.NewPath("grafanaResources"))...)
	if !s.Enabled && s.AdminPassword != "" {
		errs = append(errs, rule.Refuse(field.NewPath("grafanaAdminPassword"), rule.Secret, "unset unless grafana is true")...)
	}
	return errs
}

// grafanaPort is Grafana's HTTP port.
const grafanaPort = 3000

// grafanaBackend is Grafana as registered, the command that forwards it
// and its admin password, a secret. Without Grafana: no Deployment, and
// "" for both (the outputs stay, empty).
type grafanaBackend struct {
	deployment                        *appsv1.Deployment
	portForwardCommand, adminPassword pulumi.StringOutput
}

// newGrafana registers Grafana in namespace ns when the spec enables it:
// its admin password (generated unless given) in a Secret, Prometheus and
// Jaeger as its data sources, Istio's dashboards when asked for, the
// Deployment and svc/grafana.
func newGrafana(ctx *pulumi.Context, s GrafanaSpec, ns pulumi.StringInput, parent pulumi.ResourceOption) (grafanaBackend, error) {
	if !s.Enabled {
		return grafanaBackend{
			portForwardCommand: pulumi.String("").ToStringOutput(),
			adminPassword:      pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput),
		}, nil
	}
	password := pulumi.ToSecret(pulumi.String(s.AdminPassword)).(pulumi.StringOutput)
	if s.AdminPassword == "" {
		generated, err := random.NewRandomPassword(ctx, "grafana-admin", &random.RandomPasswordArgs{
			Length:  pulumi.Int(24),
			Special: pulumi.Bool(false),
		}, parent)
		if err != nil {
			return grafanaBackend{}, err
		}
		password = pulumi.ToSecret(generated.Result).(pulumi.StringOutput)
	}
	secret, err := corev1.NewSecret(ctx, "grafana-admin", &corev1.SecretArgs{
		Metadata:   &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("grafana-admin"), Namespace: ns},
		StringData: pulumi.StringMap{"admin-password": password},
	}, parent)
	if err != nil {
		return grafanaBackend{}, err
	}
	// Istio's dashboards query the default Prometheus data source (their
	// datasource variable) and two of their variables name it: Prometheus.
	datasources, err := renderYAML(map[string]interface{}{
		"apiVersion": 1,
		"datasources": []interface{}{
			map[string]interface{}{"name": "Prometheus", "type": "prometheus", "access": "proxy", "isDefault": true,
				"url": fmt.Sprintf("http://%s:%d", PrometheusService, PrometheusPort)},
			map[string]interface{}{"name": "Jaeger", "type": "jaeger", "access": "proxy", "url": fmt.Sprintf("http://%s:%d", JaegerQueryService, JaegerQueryServicePort)},
		},
	})
	if err != nil {
		return grafanaBackend{}, err
	}
	cm, err := corev1.NewConfigMap(ctx, "grafana-datasources", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("grafana-datasources"), Namespace: ns},
		Data:     pulumi.StringMap{"datasources.yaml": pulumi.String(datasources)},
	}, parent)
	if err != nil {
		return grafanaBackend{}, err
	}
	var dashboards []configMount
	if s.Dashboards {
		if dashboards, err = istioDashboards(ctx, ns, parent); err != nil {
			return grafanaBackend{}, err
		}
	}
	deployment, err := newTelemetryDeployment(ctx, telemetryWorkload{
		name: "grafana", namespace: ns, image: s.Image, uid: 472,
		ports:     map[string]int{"http": grafanaPort},
		probe:     HTTPProbe{Path: "/api/health", Port: grafanaPort, PeriodSeconds: 10},
		resources: s.Resources,
		configMap: cm, configMountPath: "/etc/grafana/provisioning/datasources",
		moreConfig: dashboards,
		scratch:    []string{"/var/lib/grafana", "/tmp"},
		env: corev1.EnvVarArray{
			corev1.EnvVarArgs{Name: pulumi.String("GF_SECURITY_ADMIN_USER"), Value: pulumi.String("admin")},
			corev1.EnvVarArgs{Name: pulumi.String("GF_SECURITY_ADMIN_PASSWORD"), ValueFrom: &corev1.EnvVarSourceArgs{
				SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret.Metadata.Name(), Key: pulumi.String("admin-password")},
			}},
		},
	}, parent)
	if err != nil {
		return grafanaBackend{}, err
	}
	_, forward, err := newTelemetryService(ctx, "grafana", ns, grafanaPort, deployment, parent)
	if err != nil {
		return grafanaBackend{}, err
	}
	return grafanaBackend{deployment: deployment, portForwardCommand: forward, adminPassword: password}, nil
}
