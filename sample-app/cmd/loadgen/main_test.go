package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSmall runs the whole tool with a tiny load, so it cannot rot
// unnoticed: both modes, both loads, a report with every row and no errors.
func TestRunSmall(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.md")
	err := run(options{
		rate: 200, openDuration: 300 * time.Millisecond,
		workers: 2, closedDuration: 200 * time.Millisecond,
		warmup: 20, timeout: 5 * time.Second, maxInFlight: 100, maxRequests: 100_000,
		modes: []string{"off", "on"}, rounds: 1, output: out, waitIdle: 0,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	for _, want := range []string{
		"| off | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
		"| on | open loop, 200 rps for 300ms | 1 (0) | 60 | 0 |",
		"| off | closed loop, 2 workers for 200ms |",
		"| on | closed loop, 2 workers for 200ms |",
		"Target p99 <= 5 ms at 200 rps, tracing off",
		"Target tracing costs <= 10% of max throughput",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	// Tracing on exports all 8 spans of each request (3 on A, 3 on B, 2 on C).
	for _, line := range strings.Split(report, "\n") {
		if strings.HasPrefix(line, "| on |") && !strings.HasSuffix(line, "| 8.0 |") {
			t.Errorf("spans per request not 8: %s", line)
		}
	}
	if strings.Contains(report, "First error") {
		t.Errorf("errors in the run:\n%s", report)
	}
}
