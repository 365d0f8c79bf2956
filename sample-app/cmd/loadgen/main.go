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
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/tracing"
)

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

// loadAverage is the first three fields of /proc/loadavg: other work on
// the machine skews a benchmark that needs both cores, so the report says
// how busy the machine was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

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
		srv := server.New(server.Deps{
			Config:         cfg,
			TracerProvider: tp,
			Logger:         slog.New(slog.NewJSONHandler(io.Discard, nil)),
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ctx, ln); err != nil {
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

func runMode(o options, mode string) ([]result, error) {
	traced := mode != "off"
	ch, err := startChain(traced, o.exporter)
	if err != nil {
		return nil, err
	}
	caller := &ingress{percent: o.samplePercent}
	if mode == "on" {
		caller.percent = 100
	}
	target, err := url.Parse(ch.url)
	if err != nil || !isLoopback(target.Hostname()) {
		return nil, fmt.Errorf("refusing non-loopback target %q", ch.url)
	}
	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8192, IdleConnTimeout: time.Minute},
		Timeout:   o.timeout,
	}
	defer client.CloseIdleConnections()

	// Warm-up: connections, JIT-free but caches and pools still matter.
	if o.warmup > 0 {
		closedLoop(client, ch.url, caller, min(o.workers, 8)+1, time.Minute, o.warmup)
	}

	var results []result
	flush := func() {
		for _, tp := range ch.providers {
			_ = tp.ForceFlush(context.Background())
		}
	}
	// Spans of earlier runs are flushed before counting the next run's.
	flush()
	// exported is what the exporters were handed and, with the OTLP
	// exporter, what reached the sink.
	exported := func() (spans, bytes int64) {
		if ch.sink != nil {
			bytes = ch.sink.bytes.Load()
		}
		return ch.spans.Load(), bytes
	}
	flushAndCount := func(r *result, spansBefore, bytesBefore int64) {
		flush()
		spans, bytes := exported()
		if traced && r.ok > 0 {
			r.spansPerRequest = float64(spans-spansBefore) / float64(r.ok+r.failed)
		}
		if ch.sink != nil && spans > spansBefore {
			r.bytesPerSpan = float64(bytes-bytesBefore) / float64(spans-spansBefore)
		}
	}

	waitForIdle(o.waitIdle)
	spansBefore, bytesBefore := exported()
	cpu := startCPUMeter()
	r := openLoop(client, ch.url, caller, o)
	r.othersCPU, r.cpu = cpu.othersCores(), cpu.selfTime()
	r.mode = mode
	flushAndCount(&r, spansBefore, bytesBefore)
	results = append(results, r)

	if o.workers > 0 {
		waitForIdle(o.waitIdle)
		spansBefore, bytesBefore = exported()
		cpu = startCPUMeter()
		r = closedLoop(client, ch.url, caller, o.workers, o.closedDuration, o.maxRequests)
		r.othersCPU, r.cpu = cpu.othersCores(), cpu.selfTime()
		r.mode = mode
		flushAndCount(&r, spansBefore, bytesBefore)
		results = append(results, r)
	}
	// Close the generator's pooled connections first: one the pool dialled
	// but never used would make A's shutdown wait 5 s (see server.Serve).
	client.CloseIdleConnections()
	if err := ch.stop(); err != nil {
		return nil, err
	}
	return results, nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type result struct {
	round           int
	mode            string
	kind            string // "open" or "closed"
	load            string
	sent            int
	ok, failed      int
	elapsed         time.Duration
	latencies       []time.Duration // of successful requests; open loop: from the scheduled send time
	sendLag         []time.Duration // open loop: how late the generator sent each request
	serviceTimes    []time.Duration // open loop: from the actual send
	errSample       string
	spansPerRequest float64
	bytesPerSpan    float64       // OTLP request bytes per exported span (OTLP exporter only)
	othersCPU       float64       // cores used by other processes during the run; -1 if unknown
	cpu             time.Duration // CPU this process (generator and hops) used during the run
}

// ingress stands in for the mesh's ingress gateway: each request starts a
// trace whose sampling decision travels in B3 headers, as
// Envoy's Zipkin tracer sends them. The sampled requests are spread
// evenly: request n is sampled when n*percent/100 passes a whole number.
type ingress struct {
	percent float64
	n       atomic.Uint64
}

func (g *ingress) inject(h http.Header) {
	n := g.n.Add(1)
	sampled := "0"
	if math.Floor(float64(n)*g.percent/100) != math.Floor(float64(n-1)*g.percent/100) {
		sampled = "1"
	}
	var id [24]byte
	binary.BigEndian.PutUint64(id[0:], rand.Uint64())
	binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	binary.BigEndian.PutUint64(id[16:], rand.Uint64()|1) // a span ID is never zero
	h.Set("X-B3-Traceid", hex.EncodeToString(id[:16]))
	h.Set("X-B3-Spanid", hex.EncodeToString(id[16:]))
	h.Set("X-B3-Sampled", sampled)
}

// get sends one request with the stand-in ingress's trace headers and
// reads the whole answer.
func get(client *http.Client, url string, caller *ingress) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	caller.inject(req.Header)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// openLoop sends rate requests per second for the duration, each on its
// own goroutine at its scheduled time, whatever the previous ones do.
func openLoop(client *http.Client, url string, caller *ingress, o options) result {
	n := min(int(float64(o.rate)*o.openDuration.Seconds()), o.maxRequests)
	interval := time.Second / time.Duration(o.rate)
	lat := make([]time.Duration, n)
	lag := make([]time.Duration, n)
	errs := make([]error, n)
	inFlight := make(chan struct{}, o.maxInFlight)
	var wg sync.WaitGroup

	start := time.Now()
	for i := range n {
		scheduled := start.Add(time.Duration(i) * interval)
		if d := time.Until(scheduled); d > 0 {
			time.Sleep(d)
		}
		select {
		case inFlight <- struct{}{}:
		default:
			errs[i] = errors.New("over max-in-flight")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lag[i] = time.Since(scheduled)
			errs[i] = get(client, url, caller)
			lat[i] = time.Since(scheduled)
			<-inFlight
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	r := result{kind: "open", load: fmt.Sprintf("open loop, %d rps for %s", o.rate, o.openDuration), sent: n, elapsed: elapsed, sendLag: lag}
	for i := range n {
		if errs[i] != nil {
			r.failed++
			if r.errSample == "" {
				r.errSample = errs[i].Error()
			}
			continue
		}
		r.ok++
		r.latencies = append(r.latencies, lat[i])
		r.serviceTimes = append(r.serviceTimes, lat[i]-lag[i])
	}
	return r
}

// closedLoop runs workers that send back to back until the duration or
// maxRequests is reached.
func closedLoop(client *http.Client, url string, caller *ingress, workers int, duration time.Duration, maxRequests int) result {
	var issued atomic.Int64
	deadline := time.Now().Add(duration)
	perWorker := make([][]time.Duration, workers)
	failed := make([]int, workers)
	errSample := make([]string, workers)
	var wg sync.WaitGroup

	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && issued.Add(1) <= int64(maxRequests) {
				t0 := time.Now()
				if err := get(client, url, caller); err != nil {
					failed[w]++
					if errSample[w] == "" {
						errSample[w] = err.Error()
					}
					continue
				}
				perWorker[w] = append(perWorker[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	r := result{kind: "closed", load: fmt.Sprintf("closed loop, %d workers for %s", workers, duration), elapsed: time.Since(start)}
	for w := range workers {
		r.latencies = append(r.latencies, perWorker[w]...)
		r.failed += failed[w]
		if r.errSample == "" {
			r.errSample = errSample[w]
		}
	}
	r.ok = len(r.latencies)
	r.sent = r.ok + r.failed
	return r
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func (r result) throughput() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// cpuPerRequest is the CPU the generator and the three hops spent per
// request. The chain is CPU-bound at maximum throughput, so throughput is
// cores / cpuPerRequest: a steadier measure of tracing's cost than
// throughput on a shared machine, whose speed drifts between runs.
func (r result) cpuPerRequest() time.Duration {
	if r.sent == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.sent)
}

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

// disturbedCores is how much CPU other processes may use during a run
// before the run is left out of the summary.
const disturbedCores = 0.1

// disturbed reports whether other processes used a noticeable share of the
// CPU during the run (unknown counts as undisturbed).
func (r result) disturbed() bool { return r.othersCPU >= disturbedCores }

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

// waitForIdle waits, up to limit, for a second in which other processes
// used under 0.1 core: on a shared 2-core machine, someone else's compile
// halves the throughput measured.
func waitForIdle(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		m := startCPUMeter()
		time.Sleep(time.Second)
		if c := m.othersCores(); c >= 0 && c < 0.1 {
			return
		}
	}
	if limit > 0 {
		fmt.Fprintf(os.Stderr, "loadgen: machine still busy after waiting %s; measuring anyway\n", limit)
	}
}

func cores(c float64) string {
	if c < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.2f", c)
}

// cpuMeter measures how much CPU other processes used during a run: the
// machine's busy time (/proc/stat) minus this process's (getrusage).
// Other load skews results on a 2-core machine, so the report shows it.
type cpuMeter struct {
	start      time.Time
	busy, self time.Duration
	ok         bool
}

func startCPUMeter() cpuMeter {
	busy, ok := machineBusy()
	return cpuMeter{start: time.Now(), busy: busy, self: selfCPU(), ok: ok}
}

// selfTime is the CPU this process used since the meter started.
func (m cpuMeter) selfTime() time.Duration { return selfCPU() - m.self }

func (m cpuMeter) othersCores() float64 {
	busy, ok := machineBusy()
	wall := time.Since(m.start)
	if !m.ok || !ok || wall <= 0 {
		return -1
	}
	others := (busy - m.busy) - (selfCPU() - m.self)
	return max(0, others.Seconds()/wall.Seconds())
}

// machineBusy sums the non-idle times of the "cpu" line of /proc/stat
// (user nice system idle iowait irq softirq steal ...), in clock ticks of
// 1/100 s.
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
