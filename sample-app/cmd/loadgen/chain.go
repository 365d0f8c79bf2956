package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

// chain is A -> B -> C on loopback.
type chain struct {
	url       string // A's /service
	providers []tracing.Provider
	spans     atomic.Int64 // spans handed to the exporters
	sink      *otlpSink    // nil unless traced with the OTLP exporter
	stop      func() error
}

// startChain starts C, B and A. Traced, each hop has its own SDK provider
// and exporter, as each pod does; with the OTLP exporter they all post to
// one sink, as to one collector.
func startChain(traced bool, exporter string) (*chain, error) {
	ch := &chain{}
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
		}
		ch.providers = append(ch.providers, tp)
		srv, err := server.New(server.Deps{
			Config:         cfg,
			TracerProvider: tp,
			Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
		})
		if err != nil {
			return fail(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, server.Listeners{HTTP: ln}); err != nil {
				errs <- err
			}
		}()
		next = "http://" + ln.Addr().String()
	}
	ch.url = next + "/service"
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
