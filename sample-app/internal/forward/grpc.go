package forward

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// UnaryServerInterceptor is Middleware for gRPC: it stores the configured
// headers of the incoming metadata in the context.
func (h *Headers) UnaryServerInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	fields := h.collect(func(n name) []string { return metadata.ValueFromIncomingContext(ctx, n.metadata) })
	if fields != nil {
		ctx = newContext(ctx, fields)
	}
	return handler(ctx, req)
}

// UnaryClientInterceptor is Transport for gRPC: it adds the headers stored
// in the context to the outgoing metadata, under their lower-case names.
func UnaryClientInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if fields := fromContext(ctx); len(fields) > 0 {
		var kv []string
		for _, f := range fields {
			for _, v := range f.values {
				kv = append(kv, f.metadata, v)
			}
		}
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
