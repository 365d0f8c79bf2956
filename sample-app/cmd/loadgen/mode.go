package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// runMode runs one tracing mode on a fresh chain: a warm-up, then the
// open-loop run and the closed-loop run, each after waiting for an idle
// machine and with the spans it exported per request.
func runMode(o options, mode string) ([]result, error) {
	traced := mode != "off"
	ch, err := startChain(traced, o.exporter, o.transport)
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
	// Spans of earlier runs are flushed before counting the next run's.
	ch.flush()
	// exported is what the exporters were handed and, with the OTLP
	// exporter, what reached the sink.
	exported := func() (spans, bytes int64) {
		if ch.sink != nil {
			bytes = ch.sink.bytes.Load()
		}
		return ch.spans.Load(), bytes
	}
	flushAndCount := func(r *result, spansBefore, bytesBefore int64) {
		ch.flush()
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

// isLoopback says host is a loopback IP: the generator sends nowhere else.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
