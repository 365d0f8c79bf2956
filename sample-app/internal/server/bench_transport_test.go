package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/localmtls"
)

// Benchmarks of the chain over each transport, over loopback in one
// process (no xDS): what the hop-to-hop protocol and its mTLS cost.

// benchCall runs call one at a time (latency) and from parallel clients
// (throughput: ns/op is wall time per request).
func benchCall(b *testing.B, call func() error) {
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8) // 8 x GOMAXPROCS clients
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := call(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// httpGetter returns a call of GET url that fails on anything but 200.
// Its connections are closed before the hops shut down (cleanups run
// last-registered first): parallel callers leave connections the client
// dialled and never used, which a server's graceful shutdown waits for
// (net/http counts a new connection idle only after 5 s).
func httpGetter(b *testing.B, url string) func() error {
	transport := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}
	b.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}
	return func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &statusError{resp.StatusCode}
		}
		return nil
	}
}

// BenchmarkLeafHop is one hop at the end of the chain, called in its own
// protocol: GET /service over HTTP/1.1, or Hop/Service over gRPC (one
// HTTP/2 connection, as a hop's ClientConn has).
func BenchmarkLeafHop(b *testing.B) {
	b.Run("transport=http", func(b *testing.B) {
		c := startHop(b, newConfig(b, map[string]string{"SERVICE_TYPE": "C"}), hopOptions{})
		benchCall(b, httpGetter(b, c.URL+"/service"))
	})
	b.Run("transport=grpc", func(b *testing.B) {
		c := startGRPCHop(b, newConfig(b, grpcHopEnv("C", "", nil)), hopOptions{})
		conn := dialHop(b, c.GRPCTarget)
		benchCall(b, func() error {
			_, err := hoprpc.CallService(context.Background(), conn)
			return err
		})
	})
}

// BenchmarkServiceChain is GET /service on A through real loopback
// servers A -> B -> C, the hops calling each other over HTTP (keep-alive
// connections), over gRPC, or over gRPC with mTLS (each hop its own
// certificate, as the mesh's CA issues them); A is called over HTTP
// either way. With tracing off and on.
func BenchmarkServiceChain(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			for _, transport := range []string{"http", "grpc", "grpc-mtls"} {
				b.Run("transport="+transport, func(b *testing.B) {
					var mesh func(config.Config) hopOptions
					if transport == "grpc-mtls" {
						ca, err := localmtls.NewCA()
						if err != nil {
							b.Fatal(err)
						}
						mesh = meshCredentials(b, ca)
					}
					a, _, _ := startChain(b, strings.TrimSuffix(transport, "-mtls"), nil, func(cfg config.Config) hopOptions {
						var opts hopOptions
						if mesh != nil {
							opts = mesh(cfg)
						}
						opts.tracerProvider = benchProvider(b, mode.on)
						return opts
					})
					benchCall(b, httpGetter(b, a.URL+"/service"))
				})
			}
		})
	}
}
