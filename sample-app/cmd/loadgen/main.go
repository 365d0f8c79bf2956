// Command loadgen measures the sample app's A -> B -> C chain on loopback.
//
// It starts the three hops in-process on 127.0.0.1 (ephemeral ports), once
// per mode. In every mode the generator stands in for the mesh's ingress
// gateway: Envoy starts each trace and passes its sampling decision down in
// B3 headers, which the hops' parent-based sampler follows, so every mode
// parses and passes on the same trace headers and only the decision and the
// tracer provider differ:
//
//   - off: propagation only, the default without an OTLP endpoint (the
//     decision travels on, nothing is recorded);
//   - on: the SDK with the batching span processor and the OTLP/HTTP
//     exporter as in production, every request sampled, as with
//     telemetry:samplingPercent 100 (the tutorial's setting). The spans go
//     to a sink on 127.0.0.1 that reads and drops them, so the export's cost
//     is measured and no collector's; -exporter count drops them before the
//     export instead, leaving the SDK's cost alone;
//   - sampled: the same SDK, -sample-percent of the requests sampled
//     (default 1, the stack's default telemetry:samplingPercent).
//
// For each it runs
//
//   - an open-loop load: a fixed arrival rate (default 1,000 rps for 10 s),
//     latency measured from each request's scheduled send time, so a
//     stalled server cannot hide queueing delay (no coordinated omission);
//   - a closed-loop load: a fixed number of workers sending back to back
//     for a fixed time, for maximum throughput.
//
// Results are printed as Markdown. Every run is bounded in request count
// and time, and all traffic stays on 127.0.0.1.
//
// One file per job: main.go reads the flags and runs the rounds; chain.go
// starts the three hops in-process (otlpsink.go is where their spans go);
// mode.go runs one tracing mode on a fresh chain; ingress.go sends each
// request as the mesh's ingress would; load.go holds the open and closed
// loops and what a run measured; machine.go measures the CPU other
// processes used; report.go writes the Markdown report.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

// options are the flags.
type options struct {
	rate           int
	openDuration   time.Duration
	workers        int
	closedDuration time.Duration
	warmup         int
	timeout        time.Duration
	maxInFlight    int
	maxRequests    int
	modes          []string
	rounds         int
	output         string
	cpuProfile     string
	waitIdle       time.Duration
	samplePercent  float64
	exporter       string
	transport      string
}

func main() {
	var o options
	var modes string
	flag.IntVar(&o.rate, "rate", 1000, "open-loop arrival rate (requests per second)")
	flag.DurationVar(&o.openDuration, "duration", 10*time.Second, "open-loop duration")
	flag.IntVar(&o.workers, "workers", 32, "closed-loop concurrent workers (0 skips the closed-loop run)")
	flag.DurationVar(&o.closedDuration, "closed-duration", 10*time.Second, "closed-loop duration")
	flag.IntVar(&o.warmup, "warmup", 2000, "requests sent before each measured run (warms connections and caches)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout")
	flag.IntVar(&o.maxInFlight, "max-in-flight", 5000, "open-loop cap on outstanding requests; arrivals over it count as errors")
	flag.IntVar(&o.maxRequests, "max-requests", 2_000_000, "hard cap on requests of any single run")
	flag.StringVar(&modes, "modes", "off,on,sampled", "tracing modes to run, comma-separated: off, on, sampled")
	flag.StringVar(&o.transport, "transport", transportHTTP, "how the hops call each other: http, grpc (plaintext), or grpc-mtls (gRPC with each hop's own certificate from a throwaway CA, both sides verified, as under the mesh's STRICT mTLS)")
	flag.StringVar(&o.exporter, "exporter", exporterOTLP, "where the traced modes' spans go: otlp (the app's OTLP/HTTP exporter, posting to a sink on 127.0.0.1 that reads and drops them) or count (counted and dropped in-process: the SDK's cost without the export)")
	flag.Float64Var(&o.samplePercent, "sample-percent", 1, "modes sampled and off: the share of requests (percent) the stand-in ingress samples (mode on: all)")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds; each runs every mode once, each round starting one mode later, so drift in machine load hits all modes alike")
	flag.StringVar(&o.output, "o", "", "write the Markdown report here instead of stdout")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run here")
	flag.DurationVar(&o.waitIdle, "wait-idle", 2*time.Minute, "before each run, wait up to this long for other processes to use under 0.1 core (0: do not wait)")
	flag.Parse()
	o.modes = strings.Split(modes, ",")

	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// run checks the options, runs every mode once per round and writes the report.
func run(o options) error {
	if o.rate <= 0 || o.openDuration <= 0 || o.workers < 0 || o.maxRequests <= 0 || o.rounds <= 0 {
		return errors.New("rate, duration, rounds and max-requests must be positive, workers not negative")
	}
	for _, m := range o.modes {
		if m != "off" && m != "on" && m != "sampled" {
			return fmt.Errorf("unknown mode %q (want off, on or sampled)", m)
		}
	}
	if o.exporter != exporterOTLP && o.exporter != exporterCount {
		return fmt.Errorf("unknown exporter %q (want %s or %s)", o.exporter, exporterOTLP, exporterCount)
	}
	if o.transport != transportHTTP && o.transport != transportGRPC && o.transport != transportGRPCMTLS {
		return fmt.Errorf("unknown transport %q (want %s, %s or %s)", o.transport, transportHTTP, transportGRPC, transportGRPCMTLS)
	}
	if o.samplePercent < 0 || o.samplePercent > 100 {
		return fmt.Errorf("sample-percent %v is not between 0 and 100", o.samplePercent)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	loadBefore := loadAverage()
	var results []result
	for round := 1; round <= o.rounds; round++ {
		// Each round starts one mode later than the one before, so no mode
		// always runs first (after the idle wait) or last.
		for i := range o.modes {
			mode := o.modes[(i+round-1)%len(o.modes)]
			fmt.Fprintf(os.Stderr, "loadgen: round %d/%d, tracing %s\n", round, o.rounds, mode)
			rs, err := runMode(o, mode)
			if err != nil {
				return fmt.Errorf("tracing %s: %w", mode, err)
			}
			for i := range rs {
				rs[i].round = round
			}
			results = append(results, rs...)
		}
	}

	out := io.Writer(os.Stdout)
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	return writeReport(out, o, results, loadBefore, loadAverage())
}
