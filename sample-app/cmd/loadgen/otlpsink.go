package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Exporters the traced modes can send spans to (-exporter).
const (
	// exporterOTLP is the app's own OTLP/HTTP exporter, as in production,
	// posting to an otlpSink.
	exporterOTLP = "otlp"
	// exporterCount counts and drops spans in-process: the SDK's cost alone,
	// without marshalling and posting.
	exporterCount = "count"
)

// otlpSink stands in for the OTLP/HTTP collector, on 127.0.0.1: it reads
// each export request whole and answers 200 with an empty
// ExportTraceServiceResponse (an empty protobuf message is zero bytes). The
// app's exporter does all of its work (protobuf marshalling, the POST, the
// response) while no collector's decoding and storing lands in the
// measurement: the sink shares the process with the hops, so its own cost
// (one body read per export) is counted too, and it is small.
type otlpSink struct {
	url   string // the traces endpoint, http://127.0.0.1:<port>/v1/traces
	srv   *http.Server
	done  chan error
	bytes atomic.Int64 // request bodies received, for the report's bytes per span
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String() + "/v1/traces", done: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.bytes.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	s.srv = &http.Server{Handler: mux}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the sink once the exporters have flushed.
func (s *otlpSink) Close() error {
	err := s.srv.Shutdown(context.Background())
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// countingExporter counts the spans handed to it, to show the batching
// processor kept up (spans per request) rather than silently dropping, and
// passes them on to next (nil drops them).
type countingExporter struct {
	spans *atomic.Int64
	next  sdktrace.SpanExporter
}

func (e countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.spans.Add(int64(len(spans)))
	if e.next == nil {
		return nil
	}
	if err := e.next.ExportSpans(ctx, spans); err != nil {
		return fmt.Errorf("export %d spans: %w", len(spans), err)
	}
	return nil
}

func (e countingExporter) Shutdown(ctx context.Context) error {
	if e.next == nil {
		return nil
	}
	return e.next.Shutdown(ctx)
}
