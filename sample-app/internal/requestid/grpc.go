package requestid

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// MetadataKey is Header as gRPC metadata spells it (lower case, as on the
// HTTP/2 wire).
const MetadataKey = "x-request-id"

// UnaryServerInterceptor is Middleware for gRPC: it adopts the incoming
// x-request-id metadata (or generates one), stores it in the context and
// sends it back in the response headers.
func UnaryServerInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	var id string
	if v := metadata.ValueFromIncomingContext(ctx, MetadataKey); len(v) > 0 {
		id = v[0]
	}
	if !Valid(id) {
		id = New()
	}
	// SetHeader fails only once headers were sent, which no handler has
	// done yet.
	_ = grpc.SetHeader(ctx, metadata.Pairs(MetadataKey, id))
	return handler(NewContext(ctx, id), req)
}

// UnaryClientInterceptor is Transport for gRPC: it sets x-request-id on
// outgoing calls from the context.
func UnaryClientInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if id, ok := FromContext(ctx); ok {
		ctx = metadata.AppendToOutgoingContext(ctx, MetadataKey, id)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
