package main

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// result is what one run (one mode, one load, one round) measured.
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

// throughput is the run's successful requests per second.
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

// disturbedCores is how much CPU other processes may use during a run
// before the run is left out of the summary.
const disturbedCores = 0.1

// disturbed reports whether other processes used a noticeable share of the
// CPU during the run (unknown counts as undisturbed).
func (r result) disturbed() bool { return r.othersCPU >= disturbedCores }
