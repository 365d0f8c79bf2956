package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
)

// Benchmarks of the gRPC transport beside the HTTP one, plaintext over
// loopback in one process (no xDS, no TLS): what the hop-to-hop protocol
// itself costs.

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
func httpGetter(url string) func() error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256}}
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
		benchCall(b, httpGetter(c.URL+"/service"))
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

// BenchmarkServiceChainTransports is GET /service on A through A -> B -> C,
// the hops calling each other over HTTP or over gRPC (A is called over
// HTTP either way), with tracing off and on as in BenchmarkServiceChain.
func BenchmarkServiceChainTransports(b *testing.B) {
	for _, mode := range tracingModes {
		b.Run(mode.name, func(b *testing.B) {
			b.Run("transport=http", func(b *testing.B) {
				start := func(typ, next string) *hop {
					env := map[string]string{"SERVICE_TYPE": typ}
					if next != "" {
						env["NEXT"] = next
					}
					return startHop(b, newConfig(b, env), hopOptions{tracerProvider: benchProvider(b, mode.on)})
				}
				a := start("A", start("B", start("C", "").URL).URL)
				benchCall(b, httpGetter(a.URL+"/service"))
			})
			b.Run("transport=grpc", func(b *testing.B) {
				start := func(typ, next string) *hop {
					return startGRPCHop(b, newConfig(b, grpcHopEnv(typ, next, nil)), hopOptions{tracerProvider: benchProvider(b, mode.on)})
				}
				a := start("A", start("B", start("C", "").GRPCTarget).GRPCTarget)
				benchCall(b, httpGetter(a.URL+"/service"))
			})
		})
	}
}
