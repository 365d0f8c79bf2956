package config

import (
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Telemetry is the `telemetry:` namespace: tracing, Jaeger, Prometheus and Grafana.
type Telemetry struct {
	Tracing bool `json:"tracing"`
	// SamplingPercent of requests traced: 100 in dev (the tutorial's
	// PILOT_TRACE_SAMPLING=100), low in prod. istiod's own default is 1.
	SamplingPercent     float64              `json:"samplingPercent"`
	JaegerImage         string               `json:"jaegerImage"`
	JaegerResources     components.Resources `json:"jaegerResources"`
	PrometheusImage     string               `json:"prometheusImage"`
	PrometheusResources components.Resources `json:"prometheusResources"`
	ScrapeInterval      string               `json:"scrapeInterval"`
	Retention           string               `json:"retention"`
	Grafana             bool                 `json:"grafana"`
	GrafanaImage        string               `json:"grafanaImage"`
	GrafanaResources    components.Resources `json:"grafanaResources"`
	// GrafanaAdminPassword comes from the secret `telemetry:grafanaAdminPassword`;
	// empty generates one with pulumi-random.
	GrafanaAdminPassword string `json:"-"`
}

// TracingProvider is the name of the mesh's tracing extension provider.
const TracingProvider = "jaeger"

func defaultTelemetry() Telemetry {
	small := components.Resources{
		Requests: components.ResourceList{CPU: "50m", Memory: "128Mi"},
		Limits:   components.ResourceList{CPU: "1", Memory: "1Gi"},
	}
	return Telemetry{
		Tracing:             true,
		SamplingPercent:     1,
		JaegerImage:         playk8s.Version("JAEGER_IMAGE"),
		JaegerResources:     small,
		PrometheusImage:     playk8s.Version("PROMETHEUS_IMAGE"),
		PrometheusResources: small,
		ScrapeInterval:      "15s",
		Retention:           "6h",
		GrafanaImage:        playk8s.Version("GRAFANA_IMAGE"),
		GrafanaResources:    small,
	}
}

func readTelemetry(src Source, errs *collector, known map[string]bool) Telemetry {
	t := defaultTelemetry()
	r := src.reader("telemetry", errs, known)
	r.boolean("tracing", &t.Tracing)
	r.float("samplingPercent", &t.SamplingPercent)
	r.str("jaegerImage", &t.JaegerImage)
	r.object("jaegerResources", &t.JaegerResources)
	r.str("prometheusImage", &t.PrometheusImage)
	r.object("prometheusResources", &t.PrometheusResources)
	r.str("scrapeInterval", &t.ScrapeInterval)
	r.str("retention", &t.Retention)
	r.boolean("grafana", &t.Grafana)
	r.str("grafanaImage", &t.GrafanaImage)
	r.object("grafanaResources", &t.GrafanaResources)
	if pw, ok := src.secret("telemetry:grafanaAdminPassword", errs, known); ok {
		t.GrafanaAdminPassword = pw
	}
	return t
}

func (t Telemetry) validate(errs *collector) {
	c := check{namespace: "telemetry", errs: errs}
	c.percent("samplingPercent", t.SamplingPercent)
	c.image("jaegerImage", t.JaegerImage)
	c.image("prometheusImage", t.PrometheusImage)
	c.resources("jaegerResources", t.JaegerResources)
	c.resources("prometheusResources", t.PrometheusResources)
	c.promDuration("scrapeInterval", t.ScrapeInterval)
	c.promDuration("retention", t.Retention)
	if t.Grafana {
		c.image("grafanaImage", t.GrafanaImage)
		c.resources("grafanaResources", t.GrafanaResources)
	}
	if !t.Grafana && t.GrafanaAdminPassword != "" {
		errs.add("telemetry:grafanaAdminPassword", "(secret)", "no value unless telemetry:grafana is true")
	}
}

// TracingArgs is the tracing setup both the mesh and the Telemetry component use.
func (t Telemetry) TracingArgs(istioNamespace string) components.Tracing {
	return components.Tracing{
		Enabled:         t.Tracing,
		SamplingPercent: t.SamplingPercent,
		Provider:        TracingProvider,
		CollectorHost:   components.JaegerCollectorHost(istioNamespace),
		CollectorPort:   components.JaegerOTLPGRPCPort,
	}
}

// Args turns the namespace into the Telemetry component's arguments.
func (t Telemetry) Args(namespace pulumi.StringInput, tracing components.Tracing) *components.TelemetryArgs {
	args := &components.TelemetryArgs{
		Namespace:  namespace,
		Tracing:    tracing,
		Jaeger:     components.JaegerArgs{Image: t.JaegerImage, Resources: t.JaegerResources},
		Prometheus: components.PrometheusArgs{Image: t.PrometheusImage, Resources: t.PrometheusResources, ScrapeInterval: t.ScrapeInterval, Retention: t.Retention},
	}
	if t.Grafana {
		args.Grafana = &components.GrafanaArgs{Image: t.GrafanaImage, Resources: t.GrafanaResources}
		if t.GrafanaAdminPassword != "" {
			args.Grafana.AdminPassword = pulumi.ToSecret(pulumi.String(t.GrafanaAdminPassword)).(pulumi.StringOutput)
		}
	}
	return args
}
