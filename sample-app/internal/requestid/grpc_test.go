package requestid

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// headerStream records what a handler sets with grpc.SetHeader.
type headerStream struct {
	grpc.ServerTransportStream
	header metadata.MD
}

func (s *headerStream) SetHeader(md metadata.MD) error {
	s.header = metadata.Join(s.header, md)
	return nil
}

func TestUnaryServerInterceptor(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string // metadata values; nil = absent
		keep     bool
	}{
		{"absent: generated", nil, false},
		{"valid: adopted", []string{"req-123"}, true},
		{"first of several: adopted", []string{"req-1", "req-2"}, true},
		{"invalid: generated", []string{"a b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := metadata.MD{}
			if tt.incoming != nil {
				md[MetadataKey] = tt.incoming
			}
			stream := &headerStream{}
			ctx := grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(context.Background(), md), stream)
			var seen string
			_, err := UnaryServerInterceptor(ctx, nil, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
				seen, _ = FromContext(ctx)
				return nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.keep && seen != tt.incoming[0] {
				t.Errorf("context id = %q, want incoming %q", seen, tt.incoming[0])
			}
			if !tt.keep && !uuidV4.MatchString(seen) {
				t.Errorf("context id = %q, want a generated UUID", seen)
			}
			if got := stream.header.Get(MetadataKey); len(got) != 1 || got[0] != seen {
				t.Errorf("response header %v, want [%s]", got, seen)
			}
		})
	}
}

func TestUnaryClientInterceptor(t *testing.T) {
	tests := []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"id in context is sent", NewContext(context.Background(), "req-9"), []string{"req-9"}},
		{"no id, no metadata", context.Background(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []string
			invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
				md, _ := metadata.FromOutgoingContext(ctx)
				sent = md.Get(MetadataKey)
				return nil
			}
			if err := UnaryClientInterceptor(tt.ctx, "/x/y", nil, nil, nil, invoker); err != nil {
				t.Fatal(err)
			}
			if len(sent) != len(tt.want) || (len(sent) == 1 && sent[0] != tt.want[0]) {
				t.Errorf("sent %v, want %v", sent, tt.want)
			}
		})
	}
}
