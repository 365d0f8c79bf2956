package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TracingSpec is how much of the mesh's traffic is traced: the
// `telemetry:tracing` and `telemetry:samplingPercent` keys. The stack
// hands it to each component that renders it, once: IstioMesh (istiod's
// meshConfig and traceSampling), Telemetry (the mesh's Telemetry
// resource, as part of TelemetrySpec) and SampleChain (whether the hops
// export spans).
type TracingSpec struct {
	// Tracing turns Envoy's span reporting on.
	Tracing bool `json:"tracing"`
	// SamplingPercent of requests traced. istiod's own default is 1%; the
	// tutorial set 100 (PILOT_TRACE_SAMPLING) to see every request.
	SamplingPercent float64 `json:"samplingPercent"`
}

// Defaults is tracing on, sampling istiod's 1%.
func (s *TracingSpec) Defaults() {
	*s = TracingSpec{Tracing: true, SamplingPercent: 1}
}

// Validate refuses a sampling percentage outside 0-100.
func (s TracingSpec) Validate() field.ErrorList {
	return rule.Percent(field.NewPath("samplingPercent"), s.SamplingPercent)
}

// TracingProvider is the name of the mesh's tracing extension provider.
const TracingProvider = "jaeger"

// Collector is where spans go: the trace collector's Service, which the
// mesh's tracing provider (OTLP/gRPC) and sample-app (OTLP/HTTP) send to.
type Collector struct {
	// Host is the Service's in-cluster DNS name.
	Host string
	// GRPCPort and HTTPPort are its OTLP ports.
	GRPCPort, HTTPPort int
}

// The collector's Service and ports (Jaeger's OTLP receivers serve them).
const (
	CollectorService = "jaeger-collector"
	OTLPGRPCPort     = 4317
	OTLPHTTPPort     = 4318
)

// CollectorIn is the collector Telemetry runs in a namespace (the mesh's root).
func CollectorIn(namespace string) Collector {
	return Collector{
		Host:     fmt.Sprintf("%s.%s.svc.cluster.local", CollectorService, namespace),
		GRPCPort: OTLPGRPCPort,
		HTTPPort: OTLPHTTPPort,
	}
}

// OTLPHTTPEndpoint is the collector's OTLP/HTTP base URL, what sample-app's
// OTEL_EXPORTER_OTLP_ENDPOINT points at.
func (c Collector) OTLPHTTPEndpoint() string {
	return fmt.Sprintf("http://%s:%d", c.Host, c.HTTPPort)
}
