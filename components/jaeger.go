package components

import (
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// JaegerSpec is the Jaeger v2 all-in-one (`telemetry:jaegerImage`, `telemetry:jaegerResources`).
type JaegerSpec struct {
	Image     string    `json:"jaegerImage"`
	Resources Resources `json:"jaegerResources"`
}

// Defaults are the pinned Jaeger image with a backend's resources.
func (s *JaegerSpec) Defaults() {
	*s = JaegerSpec{Image: playk8s.Version("JAEGER_IMAGE"), Resources: backendResources()}
}

// Validate refuses a malformed image or resources.
func (s JaegerSpec) Validate() field.ErrorList {
	errs := rule.Image(field.NewPath("jaegerImage"), s.Image)
	return append(errs, s.Resources.Validate(field.NewPath("jaegerResources"))...)
}

// Ports of the Jaeger v2 all-in-one, as Istio's addon exposes them; its
// OTLP receivers are the trace collector (OTLPGRPCPort, OTLPHTTPPort).
const (
	JaegerUIPort     = 16686
	JaegerZipkinPort = 9411
	jaegerHealthPort = 13133
	// jaegerMaxTraces are kept in memory.
	jaegerMaxTraces = 50000
)

// JaegerQueryService and JaegerQueryServicePort are the stable name of
// Jaeger's UI, svc/tracing:80, which the tutorial port-forwarded as the pod's 16686.
const (
	JaegerQueryService     = "tracing"
	JaegerQueryServicePort = 80
)

// jaegerBackend is Jaeger as registered, and the command that forwards
// its UI.
type jaegerBackend struct {
	deployment *appsv1.Deployment
	// query is svc/tracing, the UI; zipkin and collector take spans in.
	query, zipkin, collector *Service
	portForwardCommand       pulumi.StringOutput
}

// newJaeger registers Jaeger in namespace ns: its configuration, the
// Deployment, and the Services Istio's addon has in front of it.
func newJaeger(ctx *pulumi.Context, s JaegerSpec, ns pulumi.StringInput, parent pulumi.ResourceOption) (jaegerBackend, error) {
	config, err := renderYAML(jaegerConfig())
	if err != nil {
		return jaegerBackend{}, err
	}
	cm, err := corev1.NewConfigMap(ctx, "jaeger", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("jaeger"), Namespace: ns, Labels: pulumi.StringMap{"app": pulumi.String("jaeger")}},
		Data:     pulumi.StringMap{"config.yaml": pulumi.String(config)},
	}, parent)
	if err != nil {
		return jaegerBackend{}, err
	}
	var out jaegerBackend
	out.deployment, err = newTelemetryDeployment(ctx, telemetryWorkload{
		name: "jaeger", namespace: ns, image: s.Image, uid: 10001,
		args:      []string{"--config", "/etc/jaeger/config.yaml"},
		ports:     map[string]int{"http-query": JaegerUIPort, "grpc-otlp": OTLPGRPCPort, "http-otlp": OTLPHTTPPort, "http-zipkin": JaegerZipkinPort, "http-health": jaegerHealthPort},
		probe:     HTTPProbe{Path: "/status", Port: jaegerHealthPort, PeriodSeconds: 5},
		resources: s.Resources,
		configMap: cm, configMountPath: "/etc/jaeger",
		annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "8888"},
	}, parent)
	if err != nil {
		return jaegerBackend{}, err
	}
	selector := map[string]string{"app": "jaeger"}
	deps := pulumi.DependsOn([]pulumi.Resource{out.deployment})
	services := []struct {
		name   string
		target **Service
		ports  []ServicePort
	}{
		{JaegerQueryService, &out.query, []ServicePort{{Name: "http-query", Port: JaegerQueryServicePort, TargetPort: JaegerUIPort}}},
		{"zipkin", &out.zipkin, []ServicePort{{Name: "http-zipkin", Port: JaegerZipkinPort}}},
		{CollectorService, &out.collector, []ServicePort{
			{Name: "grpc-otel", Port: OTLPGRPCPort},
			{Name: "http-otel", Port: OTLPHTTPPort},
			{Name: "http-zipkin", Port: JaegerZipkinPort},
		}},
	}
	for _, s := range services {
		svc, err := NewService(ctx, s.name, &ServiceArgs{
			Namespace: ns, Type: ServiceTypeClusterIP, Selector: selector, Ports: s.ports, Labels: selector,
			// Created after the Deployment is ready (deps): nothing left to wait for.
			SkipAwait: true,
		}, parent, deps)
		if err != nil {
			return jaegerBackend{}, err
		}
		*s.target = svc
	}
	out.portForwardCommand = pulumi.Sprintf("kubectl -n %s port-forward svc/%s %d:%d", out.query.Service.Metadata.Namespace().Elem(), JaegerQueryService, JaegerUIPort, JaegerQueryServicePort)
	return out, nil
}

// jaegerConfig is a Jaeger v2 all-in-one configuration: OTLP and Zipkin in,
// in-memory storage, the query UI at the root path. Istio's addon uses
// Badger on disk; memory keeps the root filesystem read-only and is enough
// for a playground (traces go with the pod).
func jaegerConfig() map[string]interface{} {
	endpoint := func(port int) map[string]interface{} {
		return map[string]interface{}{"endpoint": fmt.Sprintf("0.0.0.0:%d", port)}
	}
	return map[string]interface{}{
		"service": map[string]interface{}{
			"extensions": []string{"jaeger_storage", "jaeger_query", "healthcheckv2"},
			"pipelines": map[string]interface{}{
				"traces": map[string]interface{}{
					"receivers":  []string{"otlp", "zipkin"},
					"processors": []string{"batch"},
					"exporters":  []string{"jaeger_storage_exporter"},
				},
			},
			"telemetry": map[string]interface{}{
				"resource": map[string]interface{}{"service.name": "jaeger"},
				"metrics": map[string]interface{}{
					"level": "basic",
					"readers": []interface{}{map[string]interface{}{
						"pull": map[string]interface{}{"exporter": map[string]interface{}{
							"prometheus": map[string]interface{}{"host": "0.0.0.0", "port": 8888},
						}},
					}},
				},
			},
		},
		"extensions": map[string]interface{}{
			"healthcheckv2": map[string]interface{}{"use_v2": true, "http": endpoint(jaegerHealthPort)},
			"jaeger_query": map[string]interface{}{
				"storage": map[string]interface{}{"traces": "memstore"},
				"http":    endpoint(JaegerUIPort),
			},
			"jaeger_storage": map[string]interface{}{
				"backends": map[string]interface{}{
					"memstore": map[string]interface{}{"memory": map[string]interface{}{"max_traces": jaegerMaxTraces}},
				},
			},
		},
		"receivers": map[string]interface{}{
			"otlp":   map[string]interface{}{"protocols": map[string]interface{}{"grpc": endpoint(OTLPGRPCPort), "http": endpoint(OTLPHTTPPort)}},
			"zipkin": endpoint(JaegerZipkinPort),
		},
		"processors": map[string]interface{}{"batch": map[string]interface{}{}},
		"exporters": map[string]interface{}{
			"jaeger_storage_exporter": map[string]interface{}{"trace_storage": "memstore"},
		},
	}
}
