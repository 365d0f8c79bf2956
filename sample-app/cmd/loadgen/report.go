package main

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

// percentile is the q-quantile (0-1) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ms is a duration in milliseconds, two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

// summary pools the rounds of one mode and load.
type summary struct {
	mode, kind, load    string
	requests, errors    int
	throughputs         []float64 // per round
	cpuPerRequest       []float64 // per round, microseconds
	latencies, lag, svc []time.Duration
	spans               float64
	bytesPerSpan        float64
	errSample           string
	excluded            int // disturbed runs left out
}

// summarize pools, per mode and load, the undisturbed runs (all runs when
// every one was disturbed).
func summarize(results []result, modes []string) []summary {
	var out []summary
	for _, kind := range []string{"open", "closed"} {
		for _, mode := range modes {
			s := summary{mode: mode, kind: kind}
			clean := false
			for _, r := range results {
				if r.mode == mode && r.kind == kind && !r.disturbed() {
					clean = true
				}
			}
			n := 0
			for _, r := range results {
				if r.mode != mode || r.kind != kind {
					continue
				}
				if clean && r.disturbed() {
					s.excluded++
					continue
				}
				s.load = r.load
				s.requests += r.sent
				s.errors += r.failed
				s.throughputs = append(s.throughputs, r.throughput())
				s.cpuPerRequest = append(s.cpuPerRequest, float64(r.cpuPerRequest())/float64(time.Microsecond))
				s.latencies = append(s.latencies, r.latencies...)
				s.lag = append(s.lag, r.sendLag...)
				s.svc = append(s.svc, r.serviceTimes...)
				s.spans += r.spansPerRequest
				s.bytesPerSpan += r.bytesPerSpan
				if s.errSample == "" {
					s.errSample = r.errSample
				}
				n++
			}
			if n == 0 {
				continue
			}
			s.spans /= float64(n)
			s.bytesPerSpan /= float64(n)
			slices.Sort(s.latencies)
			slices.Sort(s.lag)
			slices.Sort(s.svc)
			out = append(out, s)
		}
	}
	return out
}

// median is the middle value (the mean of the two middle ones), 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// writeReport prints the results as Markdown: the summary table, the
// targets judged, each round's closed-loop throughput, then the first error
// of each mode and load.
func writeReport(w io.Writer, o options, results []result, loadBefore, loadAfter string) error {
	bw := bufio.NewWriter(w)
	sums := summarize(results, o.modes)
	writeSummary(bw, o, sums, loadBefore, loadAfter)
	writeLatencyTargets(bw, o, sums)
	writeTracingCost(bw, o, results)
	writeRounds(bw, o, results)
	for _, s := range sums {
		if s.errSample != "" {
			fmt.Fprintf(bw, "\nFirst error (tracing %s, %s loop): %s\n", s.mode, s.kind, s.errSample)
		}
	}
	return bw.Flush()
}

// writeSummary prints the machine, the method and one table row per mode and load.
func writeSummary(bw *bufio.Writer, o options, sums []summary, loadBefore, loadAfter string) {
	fmt.Fprintf(bw, "Machine: %d CPUs (GOMAXPROCS %d), %s, %s, %s/%s; load average %s before, %s after. The load generator and all three hops share this one process.\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadBefore, loadAfter)
	fmt.Fprintf(bw, "The hops call each other over %s (-transport); the generator calls A over HTTP, as the ingress does.\n", o.transport)
	fmt.Fprintf(bw, "%d rounds; in each, every mode ran once (fresh chain, %d warm-up requests), each round starting one mode later. Runs during which other processes used %.1f core or more are left out (listed below). Latencies pool the remaining runs; throughput is their median.\n\n", o.rounds, o.warmup, disturbedCores)
	fmt.Fprintln(bw, "| tracing | load | runs (left out) | requests | errors | throughput (req/s) | CPU µs/req | p50 ms | p90 ms | p99 ms | max ms | p99 from actual send ms | send lag p99 ms | spans/req |")
	fmt.Fprintln(bw, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range sums {
		spans, svc, lag := "-", "-", "-"
		if s.mode != "off" {
			spans = fmt.Sprintf("%.2f", s.spans)
		}
		if s.kind == "open" {
			svc, lag = ms(percentile(s.svc, .99)), ms(percentile(s.lag, .99))
		}
		fmt.Fprintf(bw, "| %s | %s | %d (%d) | %d | %d | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s |\n",
			s.mode, s.load, len(s.throughputs), s.excluded, s.requests, s.errors, median(s.throughputs), median(s.cpuPerRequest),
			ms(percentile(s.latencies, .50)), ms(percentile(s.latencies, .90)),
			ms(percentile(s.latencies, .99)), ms(percentile(s.latencies, 1)), svc, lag, spans)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "Open-loop latency is measured from each request's scheduled send time (no coordinated omission), so it includes the generator's own lateness (send lag; Go timers have about 1 ms granularity); \"p99 from actual send\" leaves that out.")
	fmt.Fprintln(bw)
	writeExporter(bw, o, sums)
}

// writeExporter says where the traced modes' spans went and, over OTLP,
// how large they were on the wire.
func writeExporter(bw *bufio.Writer, o options, sums []summary) {
	if o.exporter == exporterCount {
		fmt.Fprintln(bw, "Spans were counted and dropped in-process (-exporter count): the SDK's cost, without the export's.")
		fmt.Fprintln(bw)
		return
	}
	var sizes []string
	for _, s := range sums {
		if s.kind == "closed" && s.mode != "off" && s.bytesPerSpan > 0 {
			sizes = append(sizes, fmt.Sprintf("%.0f bytes per span (tracing %s, closed loop)", s.bytesPerSpan, s.mode))
		}
	}
	fmt.Fprint(bw, "Spans went to each hop's OTLP/HTTP exporter (protobuf, the batching processor's defaults unless OTEL_BSP_* say otherwise), posting to one sink on 127.0.0.1 that reads and drops them")
	if len(sizes) > 0 {
		fmt.Fprintf(bw, ": %s", strings.Join(sizes, ", "))
	}
	fmt.Fprintln(bw, ".")
	fmt.Fprintln(bw)
}

// latencyTarget is the open loop's p99 the chain should stay under.
const latencyTarget = 5 * time.Millisecond

// writeLatencyTargets judges each open-loop p99 against latencyTarget.
func writeLatencyTargets(bw *bufio.Writer, o options, sums []summary) {
	for _, s := range sums {
		if s.kind != "open" {
			continue
		}
		d := percentile(s.latencies, .99)
		verdict := "met"
		if d > latencyTarget {
			verdict = fmt.Sprintf("missed by %s ms", ms(d-latencyTarget))
		}
		fmt.Fprintf(bw, "- Target p99 <= 5 ms at %d rps, tracing %s: %s ms, %s.\n", o.rate, s.mode, ms(d), verdict)
	}
}

// writeTracingCost judges each traced mode's cost from paired rounds (off
// and it ran in the same round), leaving out rounds in which either
// closed-loop run was disturbed. Two measures: the drop in throughput, and
// the rise in CPU per request (1 - cpu_off/cpu_on, the throughput a
// CPU-bound chain loses). The machine's speed drifts between runs by more
// than tracing's cost, and CPU per request drifts less; the target is
// judged on it, the throughput figure is shown beside it.
func writeTracingCost(bw *bufio.Writer, o options, results []result) {
	for _, mode := range o.modes {
		if mode == "off" {
			continue
		}
		what := "every request sampled (on)"
		if mode == "sampled" {
			what = fmt.Sprintf("%g%% sampled by the ingress (sampled)", o.samplePercent)
		}
		var byCPU, byThroughput []float64
		var cpuText, throughputText []string
		for round := 1; round <= o.rounds; round++ {
			off, offOK := closedRun(results, round, "off")
			traced, tracedOK := closedRun(results, round, mode)
			if !offOK || !tracedOK || off.throughput() <= 0 || traced.cpuPerRequest() <= 0 {
				continue
			}
			c := (1 - float64(off.cpuPerRequest())/float64(traced.cpuPerRequest())) * 100
			t := (off.throughput() - traced.throughput()) / off.throughput() * 100
			if off.disturbed() || traced.disturbed() {
				cpuText = append(cpuText, fmt.Sprintf("(%.1f%%, left out)", c))
				throughputText = append(throughputText, fmt.Sprintf("(%.1f%%, left out)", t))
				continue
			}
			byCPU, byThroughput = append(byCPU, c), append(byThroughput, t)
			cpuText, throughputText = append(cpuText, fmt.Sprintf("%.1f%%", c)), append(throughputText, fmt.Sprintf("%.1f%%", t))
		}
		switch {
		case len(byCPU) > 0:
			cost := median(byCPU)
			verdict := "met"
			if cost > 10 {
				verdict = fmt.Sprintf("missed by %.1f points", cost-10)
			}
			fmt.Fprintf(bw, "- Target tracing costs <= 10%% of max throughput, %s: median cost %.1f%% by CPU per request (per round: %s), %s; by throughput %.1f%% (per round: %s).\n",
				what, cost, strings.Join(cpuText, ", "), verdict, median(byThroughput), strings.Join(throughputText, ", "))
		case len(cpuText) > 0:
			fmt.Fprintf(bw, "- Target tracing costs <= 10%% of max throughput, %s: not judged, every round was disturbed (by CPU per request: %s).\n", what, strings.Join(cpuText, ", "))
		}
	}
	fmt.Fprintln(bw)
}

// closedRun is one round's closed-loop run of a mode, if it ran.
func closedRun(results []result, round int, mode string) (result, bool) {
	for _, r := range results {
		if r.round == round && r.kind == "closed" && r.mode == mode {
			return r, true
		}
	}
	return result{}, false
}

// writeRounds lists each round's closed-loop throughputs with the CPU
// other processes used meanwhile, so users see why a run was left out.
func writeRounds(bw *bufio.Writer, o options, results []result) {
	fmt.Fprintf(bw, "Per round (closed loop): throughput in req/s, this process's CPU per request, and the CPU other processes used meanwhile (in cores, of %d):\n", runtime.NumCPU())
	fmt.Fprintln(bw)
	for round := 1; round <= o.rounds; round++ {
		var parts []string
		for _, r := range results {
			if r.round == round && r.kind == "closed" {
				parts = append(parts, fmt.Sprintf("tracing %s %.0f, %d µs CPU/req (others %s)", r.mode, r.throughput(), r.cpuPerRequest().Microseconds(), cores(r.othersCPU)))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(bw, "- round %d: %s\n", round, strings.Join(parts, ", "))
		}
	}
}

// cores is a CPU share in cores, "unknown" when it could not be measured.
func cores(c float64) string {
	if c < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f", c)
}
