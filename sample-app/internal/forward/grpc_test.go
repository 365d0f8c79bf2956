package forward

import (
	"context"
	"reflect"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

func TestUnaryServerInterceptor(t *testing.T) {
	for _, tt := range incomingCases {
		t.Run(tt.name, func(t *testing.T) {
			md := metadata.MD{}
			for k, vs := range tt.incoming {
				md.Append(k, vs...)
			}
			ctx := metadata.NewIncomingContext(context.Background(), md)
			var got []field
			called := false
			_, err := New(configured).UnaryServerInterceptor(ctx, nil, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
				called = true
				got = fromContext(ctx)
				return nil, nil
			})
			if err != nil || !called {
				t.Fatalf("handler called %v, error %v", called, err)
			}
			if m := asMap(got); !reflect.DeepEqual(m, tt.want) {
				t.Errorf("stored %v, want %v", m, tt.want)
			}
		})
	}
}

func TestUnaryClientInterceptor(t *testing.T) {
	tests := []struct {
		name   string
		stored map[string][]string // nil = none
		want   metadata.MD         // outgoing, beside x-already
	}{
		{"nothing stored: metadata as it was", nil, metadata.MD{"x-already": {"1"}}},
		{"stored headers added, lower-case, every value",
			map[string][]string{"end-user": {"jason", "kim"}, "x-canary": {"true"}},
			metadata.MD{"x-already": {"1"}, "end-user": {"jason", "kim"}, "x-canary": {"true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-already", "1")
			if tt.stored != nil {
				ctx = newContext(ctx, storedFields(tt.stored))
			}
			var sent metadata.MD
			invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
				sent, _ = metadata.FromOutgoingContext(ctx)
				return nil
			}
			if err := UnaryClientInterceptor(ctx, "/x/y", nil, nil, nil, invoker); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sent, tt.want) {
				t.Errorf("sent %v, want %v", sent, tt.want)
			}
		})
	}
}
