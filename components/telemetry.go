package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/protobuf/types/known/wrapperspb"
	telemetryv1 "istio.io/api/telemetry/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TelemetryToken is the Pulumi type token of the Telemetry component.
const TelemetryToken = "playk8s:index:Telemetry"

// TelemetrySpec is tracing and metrics as a user asks for them: the
// `telemetry:` config namespace, one field per key (the JSON names are the
// keys; each part keeps its own).
type TelemetrySpec struct {
	TracingSpec
	JaegerSpec
	PrometheusSpec
	GrafanaSpec
	KialiSpec
}

// Defaults are tracing on at istiod's 1%, Jaeger and Prometheus, no Grafana, no Kiali.
func (s *TelemetrySpec) Defaults() {
	s.TracingSpec.Defaults()
	s.JaegerSpec.Defaults()
	s.PrometheusSpec.Defaults()
	s.GrafanaSpec.Defaults()
	s.KialiSpec.Defaults()
}

// Validate refuses, all at once, every value of every part.
func (s TelemetrySpec) Validate() field.ErrorList {
	errs := s.TracingSpec.Validate()
	errs = append(errs, s.JaegerSpec.Validate()...)
	errs = append(errs, s.PrometheusSpec.Validate()...)
	errs = append(errs, s.GrafanaSpec.Validate()...)
	return append(errs, s.KialiSpec.Validate()...)
}

// backendResources are the default requests and limits of each telemetry backend.
func backendResources() Resources {
	return Resources{
		Requests: ResourceList{CPU: "50m", Memory: "128Mi"},
		Limits:   ResourceList{CPU: "1", Memory: "1Gi"},
	}
}

// TelemetryArgs are the arguments of a Telemetry.
type TelemetryArgs struct {
	Spec TelemetrySpec
	// Mesh is the mesh it observes: the Telemetry resource and the backends
	// go to its root namespace (where the tutorial's port-forward targets
	// them), after the Istio API (CRDs and istiod).
	Mesh MeshAttachment
}

// Telemetry is tracing and metrics for the mesh: Jaeger, Prometheus, an
// optional Grafana and Kiali, and the Istio Telemetry resource that sets
// sampling and the request-count metric's tags (today's form of the
// tutorial's Mixer rules).
type Telemetry struct {
	pulumi.ResourceState

	JaegerDeployment     *appsv1.Deployment
	TracingService       *Service
	ZipkinService        *Service
	CollectorService     *Service
	PrometheusDeployment *appsv1.Deployment
	PrometheusService    *Service
	GrafanaDeployment    *appsv1.Deployment
	KialiDeployment      *appsv1.Deployment
	MeshTelemetry        *apiextensions.CustomResource

	// JaegerPortForward is the port-forward target: "svc/tracing 16686:80" in the namespace.
	JaegerPortForward pulumi.StringOutput `pulumi:"jaegerPortForward"`
	// JaegerPortForwardCommand is the exact command, then open http://localhost:16686.
	JaegerPortForwardCommand pulumi.StringOutput `pulumi:"jaegerPortForwardCommand"`
	// PrometheusPortForwardCommand forwards Prometheus to http://localhost:9090.
	PrometheusPortForwardCommand pulumi.StringOutput `pulumi:"prometheusPortForwardCommand"`
	// GrafanaPortForwardCommand forwards Grafana to http://localhost:3000 ("" without Grafana).
	GrafanaPortForwardCommand pulumi.StringOutput `pulumi:"grafanaPortForwardCommand"`
	// GrafanaAdminPassword is Grafana's admin password, a secret ("" without Grafana).
	GrafanaAdminPassword pulumi.StringOutput `pulumi:"grafanaAdminPassword"`
	// KialiPortForwardCommand forwards Kiali to http://localhost:20001/kiali ("" without Kiali).
	KialiPortForwardCommand pulumi.StringOutput `pulumi:"kialiPortForwardCommand"`
}

// NewTelemetry registers Jaeger, Prometheus, optionally Grafana and Kiali,
// and the mesh-wide Telemetry resource. Each backend is a function that
// returns what it registered; the component's fields are set from those
// values once every step ran.
func NewTelemetry(ctx *pulumi.Context, name string, args *TelemetryArgs, opts ...pulumi.ResourceOption) (*Telemetry, error) {
	if args == nil {
		return nil, fmt.Errorf("telemetry %q: args are required", name)
	}
	if errs := args.Spec.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("telemetry %q: %w", name, errs.ToAggregate())
	}
	if err := args.Mesh.check(); err != nil {
		return nil, fmt.Errorf("telemetry %q: %w", name, err)
	}
	component := &Telemetry{}
	if err := ctx.RegisterComponentResource(TelemetryToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)
	ns := args.Mesh.SystemNamespace

	jaeger, err := newJaeger(ctx, args.Spec.JaegerSpec, ns, parent)
	if err != nil {
		return nil, err
	}
	prometheus, err := newPrometheus(ctx, args.Spec.PrometheusSpec, args.Mesh, parent)
	if err != nil {
		return nil, err
	}
	grafana, err := newGrafana(ctx, args.Spec.GrafanaSpec, ns, parent)
	if err != nil {
		return nil, err
	}
	kiali, err := newKiali(ctx, args.Spec.KialiSpec, args.Mesh, parent)
	if err != nil {
		return nil, err
	}
	telemetryResource, err := newIstioResource(ctx, "mesh-default", istioResource{
		apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", name: "mesh-default", namespace: ns,
		spec: meshTelemetry(args.Spec.TracingSpec),
	}, parent, pulumi.DependsOn(args.Mesh.IstioAPI))
	if err != nil {
		return nil, err
	}

	component.JaegerDeployment = jaeger.deployment
	component.TracingService, component.ZipkinService, component.CollectorService = jaeger.query, jaeger.zipkin, jaeger.collector
	component.PrometheusDeployment, component.PrometheusService = prometheus.deployment, prometheus.service
	component.GrafanaDeployment = grafana.deployment
	component.KialiDeployment = kiali.deployment
	component.MeshTelemetry = telemetryResource
	component.JaegerPortForward = pulumi.Sprintf("svc/%s %d:%d", JaegerQueryService, JaegerUIPort, JaegerQueryServicePort)
	component.JaegerPortForwardCommand = jaeger.portForwardCommand
	component.PrometheusPortForwardCommand = prometheus.portForwardCommand
	component.GrafanaPortForwardCommand, component.GrafanaAdminPassword = grafana.portForwardCommand, grafana.adminPassword
	component.KialiPortForwardCommand = kiali.portForwardCommand
	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"jaegerPortForward":            component.JaegerPortForward,
		"jaegerPortForwardCommand":     component.JaegerPortForwardCommand,
		"prometheusPortForwardCommand": component.PrometheusPortForwardCommand,
		"grafanaPortForwardCommand":    component.GrafanaPortForwardCommand,
		"grafanaAdminPassword":         component.GrafanaAdminPassword,
		"kialiPortForwardCommand":      component.KialiPortForwardCommand,
	}); err != nil {
		return nil, err
	}
	return component, nil
}

// meshTelemetry is the mesh-wide Telemetry resource: sampling and span
// reporting as the tracing spec asks (the spec istiod was installed with),
// and istio_requests_total with the tags the tutorial's Mixer rule
// counted by.
func meshTelemetry(tracing TracingSpec) *telemetryv1.Telemetry {
	spec := &telemetryv1.Telemetry{
		Tracing: []*telemetryv1.Tracing{{
			Providers:                []*telemetryv1.ProviderRef{{Name: TracingProvider}},
			RandomSamplingPercentage: wrapperspb.Double(tracing.SamplingPercent),
			DisableSpanReporting:     wrapperspb.Bool(!tracing.Tracing),
		}},
		Metrics: []*telemetryv1.Metrics{{
			Providers: []*telemetryv1.ProviderRef{{Name: "prometheus"}},
			// The tutorial's Mixer rule counted requests by source, destination
			// and response code; istio_requests_total has those. Add the
			// request's host and method, as its dimensions did.
			Overrides: []*telemetryv1.MetricsOverrides{{
				Match: &telemetryv1.MetricSelector{
					MetricMatch: &telemetryv1.MetricSelector_Metric{Metric: telemetryv1.MetricSelector_REQUEST_COUNT},
					Mode:        telemetryv1.WorkloadMode_CLIENT_AND_SERVER,
				},
				TagOverrides: map[string]*telemetryv1.MetricsOverrides_TagOverride{
					"request_host":   {Value: "request.host"},
					"request_method": {Value: "request.method"},
				},
			}},
		}},
	}
	if tracing.Tracing {
		spec.Tracing[0].DisableSpanReporting = nil
	}
	return spec
}
