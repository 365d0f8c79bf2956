package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
)

// Route labels, as used in metrics and span names.
const (
	routeRoot      = "/"
	routeService   = "/service"
	routeHealthz   = "/healthz"
	routeReadyz    = "/readyz"
	routeMetrics   = "/metrics"
	routeUnmatched = "unmatched"
)

// Header carrying the end user's id, recorded on the server span (the
// tutorial's "Tracer adding tags (a user id)").
const userIDHeader = "X-User-Id"

// requestIDAttribute is the span attribute Envoy uses for x-request-id, so
// app spans and sidecar spans can be searched by the same tag.
const requestIDAttribute = attribute.Key("guid:x-request-id")

// maxAttributeLen bounds header values copied into span attributes.
const maxAttributeLen = 128

// routes builds the handler. Order, outermost first:
//
//	requestid  - adopt or create x-request-id (before the span, so it can be tagged)
//	forward    - keep the headers FORWARD_HEADERS names for the next hop (when set)
//	otelhttp   - extract trace context, server span
//	annotate   - user id and request id on the span
//	observe    - Prometheus metrics, access log
//	mux        - the routes
//
// annotate and observe pass the request on unchanged: ServeMux records the
// matched pattern in that same *http.Request, and observe and otelhttp read
// it afterwards to label metrics and name the span.
func (s *Server) routes(inst instrumentation) http.Handler {
	mux := http.NewServeMux()
	// Patterns have no method, so a wrong method gets a JSON 405 from
	// getOnly instead of ServeMux's plain-text one; "/" catches the rest.
	mux.Handle("/{$}", getOnly(s, http.HandlerFunc(s.handleRoot)))
	mux.Handle(routeService, getOnly(s, http.HandlerFunc(s.handleService)))
	mux.Handle(routeHealthz, getOnly(s, http.HandlerFunc(s.handleHealthz)))
	mux.Handle(routeReadyz, getOnly(s, http.HandlerFunc(s.handleReadyz)))
	mux.Handle(routeMetrics, getOnly(s, s.metrics.Handler()))
	mux.Handle("/", http.HandlerFunc(s.handleNotFound))

	var h http.Handler = mux
	h = s.observe(h)
	h = annotateSpan(h)
	h = otelhttp.NewHandler(h, "sample-app",
		otelhttp.WithTracerProvider(inst.tracerProvider),
		otelhttp.WithPropagators(inst.propagator),
		otelhttp.WithMeterProvider(inst.meterProvider),
		otelhttp.WithFilter(isTraced),
		otelhttp.WithSpanNameFormatter(spanName),
	)
	if s.forward != nil {
		h = s.forward.Middleware(h)
	}
	return requestid.Middleware(h)
}

// routeLabel maps a ServeMux pattern to a bounded label value.
func routeLabel(pattern string) string {
	switch pattern {
	case "/{$}":
		return routeRoot
	case "", "/":
		return routeUnmatched
	default:
		return pattern
	}
}

// isTraced leaves probes and scrapes out of traces: they would drown the
// interesting spans and cost the most frequent requests the most.
func isTraced(r *http.Request) bool {
	switch r.URL.Path {
	case routeHealthz, routeReadyz, routeMetrics:
		return false
	}
	return true
}

// spanName is "<METHOD> <route>", or just the method for unmatched paths so
// that random URLs cannot blow up span-name cardinality.
func spanName(_ string, r *http.Request) string {
	if route := routeLabel(r.Pattern); route != routeUnmatched {
		return r.Method + " " + route
	}
	return r.Method
}

// annotateSpan tags the server span with data from the request.
func annotateSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		if span.IsRecording() {
			attrs := make([]attribute.KeyValue, 0, 2)
			if uid := r.Header.Get(userIDHeader); uid != "" {
				attrs = append(attrs, semconv.EnduserID(truncate(uid, maxAttributeLen)))
			}
			if id, ok := requestid.FromContext(r.Context()); ok {
				attrs = append(attrs, requestIDAttribute.String(id))
			}
			span.SetAttributes(attrs...)
		}
		next.ServeHTTP(w, r)
	})
}

// observe records request metrics, sets http.route on the span and writes
// a debug-level access log line.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)

		route := routeLabel(r.Pattern)
		s.metrics.ObserveRequest(route, rec.status, elapsed)
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() && route != routeUnmatched {
			span.SetAttributes(semconv.HTTPRoute(route))
		}
		ctx := r.Context()
		if s.log.Enabled(ctx, slog.LevelDebug) {
			id, _ := requestid.FromContext(ctx)
			s.log.LogAttrs(ctx, slog.LevelDebug, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", rec.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("request_id", id),
			)
		}
	})
}

// statusRecorder captures the status code written by a handler.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// getOnly answers methods other than GET and HEAD with a JSON 405.
func getOnly(s *Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			s.writeJSON(w, r, http.StatusMethodNotAllowed, errorResponse{
				Error: "method not allowed", Hop: s.cfg.ServiceType, Method: r.Method,
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// truncate cuts s to at most n bytes and drops invalid UTF-8, which OTLP
// (protobuf strings) would reject.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
