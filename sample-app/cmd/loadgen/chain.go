package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/localmtls"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// How the hops call each other (-transport).
const (
	transportHTTP     = "http"
	transportGRPC     = "grpc"
	transportGRPCMTLS = "grpc-mtls"
)

// chain is A -> B -> C on loopback; A is called over HTTP whatever the
// hops speak among themselves, as the ingress gateway calls it.
type chain struct {
	url       string // A's /service
	providers []tracing.Provider
	spans     atomic.Int64 // spans handed to the exporters
	open      openSpans    // spans started and not yet ended
	sink      *otlpSink    // nil unless traced with the OTLP exporter
	stop      func() error
}

// startChain starts C, B and A, calling each other over transport. Traced,
// each hop has its own SDK provider and exporter, as each pod does; with
// the OTLP exporter they all post to one sink, as to one collector.
func startChain(traced bool, exporter, transport string) (*chain, error) {
	ch := &chain{}
	var ca *localmtls.CA
	if transport == transportGRPCMTLS {
		var err error
		if ca, err = localmtls.NewCA(); err != nil {
			return nil, err
		}
	}
	if traced && exporter == exporterOTLP {
		sink, err := startOTLPSink()
		if err != nil {
			return nil, err
		}
		ch.sink = sink
	}
	ctx, cancel := context.WithCancel(context.Background())
	fail := func(err error) (*chain, error) {
		cancel()
		for _, tp := range ch.providers {
			_ = tp.Shutdown(context.Background())
		}
		if ch.sink != nil {
			_ = ch.sink.Close()
		}
		return nil, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	next := ""
	for _, typ := range []string{"C", "B", "A"} {
		env := map[string]string{"SERVICE_TYPE": typ, "LISTEN_HOST": "127.0.0.1", "DRAIN_DELAY": "0s"}
		if transport != transportHTTP {
			env["TRANSPORT"] = "grpc"
		}
		if next != "" {
			env["NEXT"] = next
		}
		cfg, err := config.FromEnv(config.MapLookup(env))
		if err != nil {
			return fail(err)
		}
		var tp tracing.Provider = tracing.NewPropagationOnlyProvider()
		if traced {
			exp := countingExporter{spans: &ch.spans}
			if ch.sink != nil {
				// The app's own exporter, as main.go builds it from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
				if exp.next, err = tracing.NewOTLPExporter(ctx, ch.sink.url); err != nil {
					return fail(err)
				}
			}
			tp = tracing.NewProvider(tracing.Options{ServiceName: cfg.ServiceName, Exporter: exp})
			sdk, ok := tp.(interface{ RegisterSpanProcessor(sdktrace.SpanProcessor) })
			if !ok {
				return fail(fmt.Errorf("the traced provider is a %T, not the SDK's", tp))
			}
			sdk.RegisterSpanProcessor(&ch.open)
		}
		ch.providers = append(ch.providers, tp)
		deps := server.Deps{
			Config:         cfg,
			TracerProvider: tp,
			Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
		}
		if ca != nil {
			srvCreds, clientCreds, err := ca.Credentials(localmtls.SPIFFEID("cluster.local", "playground", cfg.ServiceName))
			if err != nil {
				return fail(err)
			}
			deps.GRPCCredentials = &server.GRPCCredentials{Server: srvCreds, Client: clientCreds}
		}
		srv, err := server.New(deps)
		if err != nil {
			return fail(err)
		}
		var listeners server.Listeners
		if listeners.HTTP, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fail(err)
		}
		next = "http://" + listeners.HTTP.Addr().String()
		if transport != transportHTTP {
			if listeners.GRPC, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				listeners.Close()
				return fail(err)
			}
			next = "passthrough:///" + listeners.GRPC.Addr().String()
		}
		ch.url = "http://" + listeners.HTTP.Addr().String() + "/service"
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, listeners); err != nil {
				errs <- err
			}
		}()
	}
	ch.stop = func() error {
		cancel()
		wg.Wait()
		close(errs)
		var all []error
		for err := range errs {
			all = append(all, err)
		}
		// The providers flush their last spans into the sink before it closes.
		for _, tp := range ch.providers {
			all = append(all, tp.Shutdown(context.Background()))
		}
		if ch.sink != nil {
			all = append(all, ch.sink.Close())
		}
		return errors.Join(all...)
	}
	return ch, nil
}

// flush hands every span of the runs so far to the exporters: it waits
// for the spans still open, then flushes each hop's batching processor.
func (ch *chain) flush() {
	ch.open.wait(5 * time.Second)
	for _, tp := range ch.providers {
		_ = tp.ForceFlush(context.Background())
	}
}
