// Package metrics holds the sample app's Prometheus instruments in a
// registry of their own (never the global default one), so each server
// instance, and each test, counts separately.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Downstream error reasons (label values of DownstreamErrors).
const (
	ReasonTimeout     = "timeout"     // the call exceeded DOWNSTREAM_TIMEOUT
	ReasonUnreachable = "unreachable" // connect/transport error
	ReasonBadStatus   = "bad_status"  // the next hop answered non-200
	ReasonBadBody     = "bad_body"    // unreadable, too large or not JSON
	ReasonCanceled    = "canceled"    // our own caller went away first
	ReasonBadRequest  = "bad_request" // the outgoing request could not be built
	// ReasonDenied: the next hop refused the call (gRPC PermissionDenied or
	// Unauthenticated: in the mesh, an AuthorizationPolicy or mTLS that
	// istiod gave the next hop's gRPC server).
	ReasonDenied = "denied"
)

// Metrics are the instruments of one server.
type Metrics struct {
	registry         *prometheus.Registry
	requests         *prometheus.CounterVec
	duration         *prometheus.HistogramVec
	downstreamErrors *prometheus.CounterVec
	rpcs             *prometheus.CounterVec
	rpcDuration      *prometheus.HistogramVec
}

// durationBuckets cover loopback hops (well under a millisecond) as well
// as downstream timeouts (seconds).
var durationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New creates the instruments and a registry holding them plus the Go
// runtime and process collectors. hop is this service's type; it is a
// constant label so series from every hop can be summed or told apart
// after Prometheus scrapes them all.
func New(hop string) *Metrics {
	constLabels := prometheus.Labels{"hop": hop}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "sample_app_http_requests_total",
			Help:        "HTTP requests served, by route and status code.",
			ConstLabels: constLabels,
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "sample_app_http_request_duration_seconds",
			Help:        "Time to serve an HTTP request, by route.",
			ConstLabels: constLabels,
			Buckets:     durationBuckets,
		}, []string{"route"}),
		downstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "sample_app_downstream_errors_total",
			Help:        "Failed calls to the next hop, by next hop and reason.",
			ConstLabels: constLabels,
		}, []string{"next", "reason"}),
		rpcs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name:        "sample_app_grpc_requests_total",
			Help:        "gRPC requests served (TRANSPORT=grpc), by method and status code.",
			ConstLabels: constLabels,
		}, []string{"method", "code"}),
		rpcDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "sample_app_grpc_request_duration_seconds",
			Help:        "Time to serve a gRPC request (TRANSPORT=grpc), by method.",
			ConstLabels: constLabels,
			Buckets:     durationBuckets,
		}, []string{"method"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.downstreamErrors, m.rpcs, m.rpcDuration,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveRequest counts one served request.
func (m *Metrics) ObserveRequest(route string, code int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// ObserveRPC counts one served gRPC request. method is the full method
// name without its leading slash (playk8s.sample.v1.Hop/Service), code
// the status code's name (OK, PermissionDenied, ...).
func (m *Metrics) ObserveRPC(method, code string, elapsed time.Duration) {
	m.rpcs.WithLabelValues(method, code).Inc()
	m.rpcDuration.WithLabelValues(method).Observe(elapsed.Seconds())
}

// DownstreamError counts one failed call to next (a host:port) for reason.
func (m *Metrics) DownstreamError(next, reason string) {
	m.downstreamErrors.WithLabelValues(next, reason).Inc()
}

// Registry exposes the registry (tests read counters from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
