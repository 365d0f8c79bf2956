package server_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
)

// connCounter is a stats.Handler counting a server's open connections.
type connCounter struct{ open atomic.Int64 }

func (c *connCounter) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (c *connCounter) HandleRPC(context.Context, stats.RPCStats)                         {}
func (c *connCounter) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (c *connCounter) HandleConn(_ context.Context, s stats.ConnStats) {
	switch s.(type) {
	case *stats.ConnBegin:
		c.open.Add(1)
	case *stats.ConnEnd:
		c.open.Add(-1)
	}
}

// blockingNext is a next hop whose answers wait for release; entered
// receives one value per call that arrived.
func blockingNext(t *testing.T, conns *connCounter) (target string, entered chan struct{}, release chan struct{}) {
	t.Helper()
	entered, release = make(chan struct{}, 8), make(chan struct{})
	target = fakeGRPCNext(t, func(ctx context.Context) (*wrapperspb.BytesValue, error) {
		entered <- struct{}{}
		select {
		case <-release:
			return wrapperspb.Bytes([]byte(`{"SERVICE_TYPE":"C"}`)), nil
		case <-ctx.Done():
			return hang(ctx)
		}
	}, grpc.StatsHandler(conns))
	return target, entered, release
}

// waitUntilRefused polls until nothing accepts connections on addr: the
// listener closed once the drain delay was over.
func waitUntilRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGRPCGracefulShutdown: after shutdown begins, /readyz answers 503
// while both listeners stay open (drain delay); an RPC in flight then
// completes, the gRPC listener closes, Serve returns nil and the
// connection to the next hop is closed.
func TestGRPCGracefulShutdown(t *testing.T) {
	nextConns := &connCounter{}
	next, entered, release := blockingNext(t, nextConns)
	cfg := newConfig(t, grpcHopEnv("B", next, map[string]string{
		// The drain delay must outlast the /readyz check below, even on a
		// busy machine under the race detector.
		"DRAIN_DELAY": "1s", "SHUTDOWN_TIMEOUT": "10s", "DOWNSTREAM_TIMEOUT": "30s",
	}))
	httpLn, grpcLn := listenLoopback(t), listenLoopback(t)
	httpURL, grpcAddr := "http://"+httpLn.Addr().String(), grpcLn.Addr().String()
	srv := newServer(t, server.Deps{Config: cfg})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, server.Listeners{HTTP: httpLn, GRPC: grpcLn}) }()

	type result struct {
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		body, err := hoprpc.CallService(context.Background(), dialHop(t, "passthrough:///"+grpcAddr))
		inflight <- result{string(body), err}
	}()
	<-entered
	cancel()

	readinessDuringDrain(t, newTestClient(), httpURL+"/readyz")
	// The RPC is still in flight when the drain delay ends and the
	// listener closes; only then may it finish.
	waitUntilRefused(t, grpcAddr)
	select {
	case r := <-inflight:
		t.Fatalf("in-flight RPC ended before it was released: %q, %v", r.body, r.err)
	default:
	}
	close(release)

	select {
	case r := <-inflight:
		if r.err != nil || r.body != `{"SERVICE_TYPE":"C"}` {
			t.Errorf("in-flight RPC: %q, %v; want the next hop's answer", r.body, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight RPC did not complete")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the in-flight RPC completed")
	}
	// The client connection to the next hop was closed at shutdown.
	deadline := time.Now().Add(5 * time.Second)
	for nextConns.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to the next hop still open after Serve returned", nextConns.open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGRPCShutdownTimeout: an RPC that outlives SHUTDOWN_TIMEOUT is
// cancelled by a hard stop, and Serve reports it instead of hanging.
func TestGRPCShutdownTimeout(t *testing.T) {
	next, entered, release := blockingNext(t, &connCounter{})
	t.Cleanup(func() { close(release) })
	cfg := newConfig(t, grpcHopEnv("B", next, map[string]string{
		"DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "200ms", "DOWNSTREAM_TIMEOUT": "30s",
	}))
	grpcLn := listenLoopback(t)
	srv := newServer(t, server.Deps{Config: cfg})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, server.Listeners{HTTP: listenLoopback(t), GRPC: grpcLn}) }()

	inflight := make(chan error, 1)
	go func() {
		_, err := hoprpc.CallService(context.Background(), dialHop(t, "passthrough:///"+grpcLn.Addr().String()))
		inflight <- err
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "gRPC graceful stop did not finish") {
			t.Errorf("Serve: %v, want the gRPC stop reported", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve hung past the shutdown timeout")
	}
	select {
	case err := <-inflight:
		if err == nil {
			t.Error("the cut RPC succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cut RPC did not end")
	}
}

// TestServeRefusesMissingGRPCListener: TRANSPORT=grpc without a gRPC
// listener (or http with one) is a wiring error, reported at once.
func TestServeRefusesMissingGRPCListener(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		ls   func(t *testing.T) server.Listeners
	}{
		{"grpc without gRPC listener", grpcHopEnv("B", "", nil), func(t *testing.T) server.Listeners {
			return server.Listeners{HTTP: listenLoopback(t)}
		}},
		{"http with a gRPC listener", map[string]string{"SERVICE_TYPE": "B"}, func(t *testing.T) server.Listeners {
			return server.Listeners{HTTP: listenLoopback(t), GRPC: listenLoopback(t)}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := tt.ls(t)
			err := newServer(t, server.Deps{Config: newConfig(t, tt.env)}).Serve(context.Background(), ls)
			if err == nil || !strings.Contains(err.Error(), "listener") {
				t.Fatalf("Serve: %v, want a listener error", err)
			}
			if conn, err := net.Dial("tcp", ls.HTTP.Addr().String()); err == nil {
				_ = conn.Close()
				t.Error("the HTTP listener was left open")
			}
		})
	}
}
