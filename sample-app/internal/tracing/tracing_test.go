package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func mustTraceID(t *testing.T, s string) trace.TraceID {
	t.Helper()
	id, err := trace.TraceIDFromHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSpanID(t *testing.T, s string) trace.SpanID {
	t.Helper()
	id, err := trace.SpanIDFromHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPropagatorInjectsAllFormats(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    mustTraceID(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
		SpanID:     mustSpanID(t, "00f067aa0ba902b7"),
		TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	h := http.Header{}
	NewPropagator().Inject(ctx, propagation.HeaderCarrier(h))

	want := map[string]string{
		"Traceparent":  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"B3":           "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
		"X-B3-Traceid": "4bf92f3577b34da6a3ce929d0e0e4736",
		"X-B3-Spanid":  "00f067aa0ba902b7",
		"X-B3-Sampled": "1",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestPropagatorExtracts(t *testing.T) {
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	tests := []struct {
		name    string
		headers map[string]string
		valid   bool
	}{
		{"w3c", map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}, true},
		{"b3 single", map[string]string{"b3": traceID + "-00f067aa0ba902b7-1"}, true},
		{"b3 multi", map[string]string{"x-b3-traceid": traceID, "x-b3-spanid": "00f067aa0ba902b7", "x-b3-sampled": "1"}, true},
		{"malformed w3c", map[string]string{"traceparent": "00-zz-00f067aa0ba902b7-01"}, false},
		{"malformed b3", map[string]string{"b3": "not-a-b3-header"}, false},
		{"none", map[string]string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			sc := trace.SpanContextFromContext(NewPropagator().Extract(context.Background(), propagation.HeaderCarrier(h)))
			if sc.IsValid() != tt.valid {
				t.Fatalf("valid = %v, want %v", sc.IsValid(), tt.valid)
			}
			if tt.valid && (sc.TraceID().String() != traceID || !sc.IsRemote() || !sc.IsSampled()) {
				t.Errorf("extracted %v", sc)
			}
		})
	}
}

func TestPropagationOnlyProvider(t *testing.T) {
	tracer := NewPropagationOnlyProvider().Tracer("test")

	t.Run("new root gets fresh sampled ids", func(t *testing.T) {
		_, span := tracer.Start(context.Background(), "root")
		sc := span.SpanContext()
		if !sc.IsValid() || !sc.IsSampled() || span.IsRecording() {
			t.Errorf("root span context %v, recording %v", sc, span.IsRecording())
		}
	})

	t.Run("child keeps trace id, flags and state, gets new span id", func(t *testing.T) {
		ts, err := trace.ParseTraceState("vendor=value")
		if err != nil {
			t.Fatal(err)
		}
		parent := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: mustTraceID(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
			SpanID:  mustSpanID(t, "00f067aa0ba902b7"),
			// Not sampled: the caller's decision must survive.
			TraceState: ts,
			Remote:     true,
		})
		ctx, span := tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), parent), "child")
		sc := span.SpanContext()
		if sc.TraceID() != parent.TraceID() || sc.SpanID() == parent.SpanID() || !sc.SpanID().IsValid() {
			t.Errorf("child %v of parent %v", sc, parent)
		}
		if sc.IsSampled() || sc.TraceState().String() != "vendor=value" || sc.IsRemote() {
			t.Errorf("child flags/state/remote wrong: %v", sc)
		}
		// What goes to the next hop is the child, not the caller's span.
		h := http.Header{}
		NewPropagator().Inject(ctx, propagation.HeaderCarrier(h))
		if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + sc.SpanID().String() + "-00"; h.Get("traceparent") != want {
			t.Errorf("traceparent = %q, want %q", h.Get("traceparent"), want)
		}
	})

	t.Run("WithNewRoot ignores the parent", func(t *testing.T) {
		parent := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: mustTraceID(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
			SpanID:  mustSpanID(t, "00f067aa0ba902b7"),
		})
		_, span := tracer.Start(trace.ContextWithSpanContext(context.Background(), parent), "root", trace.WithNewRoot())
		if span.SpanContext().TraceID() == parent.TraceID() {
			t.Error("new root reused the parent's trace id")
		}
	})
}

func TestNewProviderExports(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := NewProvider(Options{ServiceName: "service-a", Exporter: exp, Synchronous: true})
	if _, ok := tp.(*sdktrace.TracerProvider); !ok {
		t.Fatalf("provider with exporter is %T, want the SDK provider", tp)
	}
	_, span := tp.Tracer("test").Start(context.Background(), "work")
	span.End()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("exported %d spans, want 1", len(spans))
	}
	var name string
	for _, kv := range spans[0].Resource.Attributes() {
		if kv.Key == "service.name" {
			name = kv.Value.AsString()
		}
	}
	if name != "service-a" {
		t.Errorf("service.name = %q, want service-a", name)
	}
}

func TestNewProviderWithoutExporterOnlyPropagates(t *testing.T) {
	if _, ok := NewProvider(Options{ServiceName: "x"}).(*PropagationOnlyProvider); !ok {
		t.Error("provider without exporter is not propagation-only")
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("hop", "A")

	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: mustTraceID(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
		SpanID:  mustSpanID(t, "00f067aa0ba902b7"),
	})
	logger.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "with span")
	logger.InfoContext(context.Background(), "without span")

	dec := json.NewDecoder(&buf)
	var withSpan, withoutSpan map[string]any
	if err := dec.Decode(&withSpan); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&withoutSpan); err != nil {
		t.Fatal(err)
	}
	if withSpan["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" || withSpan["span_id"] != "00f067aa0ba902b7" {
		t.Errorf("record with span: %v", withSpan)
	}
	if withSpan["hop"] != "A" {
		t.Errorf("attributes from With were lost: %v", withSpan)
	}
	if _, ok := withoutSpan["trace_id"]; ok {
		t.Errorf("record without span has a trace id: %v", withoutSpan)
	}
}
