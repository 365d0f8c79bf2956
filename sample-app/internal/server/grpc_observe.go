package server

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/metrics"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/requestid"
)

// userIDMetadataKey is userIDHeader as gRPC metadata spells it.
var userIDMetadataKey = strings.ToLower(userIDHeader)

// unknownMethod is the metrics label of any method the hop does not serve,
// so that random method names could not blow up label cardinality.
// (gRPC-Go answers those with Unimplemented before an RPC's end reaches
// the stats handlers, so they are not counted today; the bound keeps it
// so if that changes.)
const unknownMethod = "unknown"

// annotateAndLogRPC is annotateSpan and the access log of observe for
// gRPC: it tags otelgrpc's server span with the user and request ids and
// writes a debug-level line per call. Metrics come from rpcMetricsHandler.
func (s *Server) annotateAndLogRPC(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	id, _ := requestid.FromContext(ctx)
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		attrs := make([]attribute.KeyValue, 0, 2)
		if v := metadata.ValueFromIncomingContext(ctx, userIDMetadataKey); len(v) > 0 && v[0] != "" {
			attrs = append(attrs, semconv.EnduserID(truncate(v[0], maxAttributeLen)))
		}
		if id != "" {
			attrs = append(attrs, requestIDAttribute.String(id))
		}
		span.SetAttributes(attrs...)
	}
	resp, err := handler(ctx, req)
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "rpc",
			slog.String("method", info.FullMethod),
			slog.String("code", status.Code(err).String()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", id),
		)
	}
	return resp, err
}

// rpcMetricsHandler is a stats.Handler counting every RPC the server
// finished, by method and status code, with its duration: those the
// method answered and those refused before it ran, such as by the RBAC
// filter of an xDS server (PermissionDenied).
type rpcMetricsHandler struct {
	metrics *metrics.Metrics
}

func newRPCMetricsHandler(m *metrics.Metrics) *rpcMetricsHandler {
	return &rpcMetricsHandler{metrics: m}
}

type rpcMethodKey struct{}

// TagRPC implements stats.Handler: it keeps the method's label for End.
func (h *rpcMetricsHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, rpcMethodKey{}, rpcMethodLabel(info.FullMethodName))
}

// HandleRPC implements stats.Handler.
func (h *rpcMetricsHandler) HandleRPC(ctx context.Context, rs stats.RPCStats) {
	end, ok := rs.(*stats.End)
	if !ok {
		return
	}
	method, _ := ctx.Value(rpcMethodKey{}).(string)
	h.metrics.ObserveRPC(method, status.Code(end.Error).String(), end.EndTime.Sub(end.BeginTime))
}

// TagConn implements stats.Handler.
func (*rpcMetricsHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler.
func (*rpcMetricsHandler) HandleConn(context.Context, stats.ConnStats) {}

// rpcMethodLabel is the full method name without its leading slash, or
// unknownMethod for methods the hop does not serve.
func rpcMethodLabel(fullMethod string) string {
	if fullMethod != hoprpc.ServiceMethod {
		return unknownMethod
	}
	return strings.TrimPrefix(fullMethod, "/")
}
