package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs the whole tool with a tiny load, so it cannot rot
// unnoticed: every mode, both loads, each exporter, a report with every row
// and no errors.
func TestRunSmall(t *testing.T) {
	tests := []struct {
		exporter string
		want     *regexp.Regexp // what the report says of the spans' way out
	}{
		// Each span reached the sink over OTLP/HTTP: a server span with
		// its dozen attributes is some hundreds of bytes of protobuf.
		{exporterOTLP, regexp.MustCompile(`posting to one sink on 127\.0\.0\.1 that reads and drops them: ([0-9]{3,4}) bytes per span \(tracing on, closed loop\), ([0-9]{3,4}) bytes per span \(tracing sampled, closed loop\)\.`)},
		{exporterCount, regexp.MustCompile(`Spans were counted and dropped in-process \(-exporter count\)`)},
	}
	for _, tc := range tests {
		t.Run(tc.exporter, func(t *testing.T) {
			report := runSmall(t, tc.exporter)
			if !tc.want.MatchString(report) {
				t.Errorf("report does not match %s:\n%s", tc.want, report)
			}
		})
	}
}

func runSmall(t *testing.T, exporter string) string {
	t.Helper()
	report := tinyLoad(t, []string{"off", "on", "sampled"}, 50, exporter, transportHTTP)
	for _, want := range []string{
		"| off | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
		"| on | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
		"| off | closed loop, 2 workers for 200ms |",
		"| on | closed loop, 2 workers for 200ms |",
		"| sampled | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
		"| sampled | closed loop, 2 workers for 200ms |",
		"Target p99 <= 5 ms at 200 rps, tracing off",
		"Target tracing costs <= 10% of max throughput, every request sampled (on)",
		"Target tracing costs <= 10% of max throughput, 50% sampled by the ingress (sampled)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	// Tracing on exports all 4 spans of each request (the server span of
	// A, B and C, and C's build-response); sampled half of them, as the
	// ingress decided (one request more or less in a run of 60: the
	// decisions are spread over the warm-up too).
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, "| on |") && !strings.HasSuffix(line, "| 4.00 |") {
			t.Errorf("spans per request not 4: %s", line)
		}
		if strings.HasPrefix(line, "| sampled |") {
			cells := strings.Split(strings.TrimSuffix(line, " |"), "| ")
			spans, err := strconv.ParseFloat(strings.TrimSpace(cells[len(cells)-1]), 64)
			if err != nil || spans < 1.85 || spans > 2.15 {
				t.Errorf("spans per request with half sampled is not about 2 (%v): %s", err, line)
			}
		}
	}
	if strings.Contains(report, "First error") {
		t.Errorf("errors in the run:\n%s", report)
	}
	return report
}

// TestIngressSamplesEvenly: the stand-in ingress samples exactly the share
// asked for, spread evenly, and every request carries a valid B3 context.
func TestIngressSamplesEvenly(t *testing.T) {
	tests := []struct {
		percent     float64
		requests    int
		wantSampled int
		maxRun      int // longest run of unsampled requests
	}{
		{percent: 0, requests: 1000, wantSampled: 0, maxRun: 1000},
		{percent: 1, requests: 1000, wantSampled: 10, maxRun: 99},
		{percent: 25, requests: 1000, wantSampled: 250, maxRun: 3},
		{percent: 100, requests: 1000, wantSampled: 1000, maxRun: 0},
	}
	b3ID := regexp.MustCompile(`^[0-9a-f]+$`)
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.percent), func(t *testing.T) {
			g := &ingress{percent: tt.percent}
			sampled, run, maxRun := 0, 0, 0
			traces := map[string]bool{}
			for range tt.requests {
				h := http.Header{}
				g.inject(h)
				tid, sid := h.Get("X-B3-Traceid"), h.Get("X-B3-Spanid")
				if len(tid) != 32 || len(sid) != 16 || !b3ID.MatchString(tid) || !b3ID.MatchString(sid) || sid == strings.Repeat("0", 16) {
					t.Fatalf("invalid B3 ids: trace %q span %q", tid, sid)
				}
				traces[tid] = true
				switch h.Get("X-B3-Sampled") {
				case "1":
					sampled++
					run = 0
				case "0":
					run++
					maxRun = max(maxRun, run)
				default:
					t.Fatalf("X-B3-Sampled = %q", h.Get("X-B3-Sampled"))
				}
			}
			if sampled != tt.wantSampled {
				t.Errorf("%d of %d sampled at %v%%, want %d", sampled, tt.requests, tt.percent, tt.wantSampled)
			}
			if maxRun > tt.maxRun {
				t.Errorf("%d unsampled in a row at %v%%, want at most %d (evenly spread)", maxRun, tt.percent, tt.maxRun)
			}
			if len(traces) != tt.requests {
				t.Errorf("%d distinct trace ids in %d requests", len(traces), tt.requests)
			}
		})
	}
}

// tinyLoad runs the whole tool with a tiny load (an open loop of 200 rps
// for 300ms, a closed loop of 2 workers for 200ms, one round) in the given
// modes, and returns its report.
func tinyLoad(t *testing.T, modes []string, samplePercent float64, exporter, transport string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.md")
	err := run(options{
		rate: 200, openDuration: 300 * time.Millisecond,
		workers: 2, closedDuration: 200 * time.Millisecond,
		warmup: 20, timeout: 5 * time.Second, maxInFlight: 100, maxRequests: 100_000,
		modes: modes, rounds: 1, output: out, waitIdle: 0, samplePercent: samplePercent,
		exporter: exporter, transport: transport,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunSmallOverEachTransport: the chain runs over each -transport with
// no error, the report says which, and traced requests carry the spans
// that transport makes: over gRPC each calling hop adds a client span
// (otelgrpc's), where over HTTP the caller's sidecar would record the call.
func TestRunSmallOverEachTransport(t *testing.T) {
	tests := []struct {
		transport string
		spans     string // per traced request
	}{
		{transportHTTP, "4.00"},
		{transportGRPC, "6.00"},
		{transportGRPCMTLS, "6.00"},
	}
	for _, tt := range tests {
		t.Run(tt.transport, func(t *testing.T) {
			report := tinyLoad(t, []string{"off", "on"}, 1, exporterCount, tt.transport)
			for _, want := range []string{
				"The hops call each other over " + tt.transport + " (-transport)",
				"| off | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
				"| on | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
			} {
				if !strings.Contains(report, want) {
					t.Errorf("report lacks %q:\n%s", want, report)
				}
			}
			for _, line := range strings.Split(report, "\n") {
				if strings.HasPrefix(line, "| on |") && !strings.HasSuffix(line, "| "+tt.spans+" |") {
					t.Errorf("spans per request over %s not %s: %s", tt.transport, tt.spans, line)
				}
			}
			if strings.Contains(report, "First error") {
				t.Errorf("errors in the run:\n%s", report)
			}
		})
	}
}

func TestRunRefusesUnknownTransport(t *testing.T) {
	err := run(options{rate: 1, openDuration: time.Second, maxRequests: 1, rounds: 1, modes: []string{"off"},
		exporter: exporterCount, transport: "quic"})
	if err == nil || !strings.Contains(err.Error(), `unknown transport "quic"`) || !strings.Contains(err.Error(), "grpc-mtls") {
		t.Errorf("run with -transport quic: %v, want the transport named with the accepted ones", err)
	}
}
