// Package verify checks a deployed stack the way the tutorial did by hand:
// the workloads are up, the chain answers through the ingress gateway, Jaeger
// holds a trace through every hop and Prometheus counts requests per hop.
//
// Run is the one entry point. Checks come in two levels: API-level checks
// read objects from the API server and hold on any cluster; data-plane
// checks send traffic and need containers that really run. A check that
// cannot mean anything on this cluster is reported as skipped with the
// reason, never as passed: every data-plane check on a cluster whose nodes
// are all simulated (the kwok sandbox); on the real-pods sandbox those that
// need Envoy (sidecars 2/2, istio_requests_total with injection off; the
// ingress, whose gateway runs on a simulated node).
package verify

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	StatusPass Status = "PASS"
	StatusFail Status = "FAIL"
	StatusSkip Status = "SKIP"
)

// Level says what a check needs from the cluster.
type Level string

// The levels of checks.
const (
	// LevelAPI checks read objects from the API server only.
	LevelAPI Level = "api"
	// LevelDataPlane checks send traffic through running containers.
	LevelDataPlane Level = "data-plane"
)

// Result is one check's outcome and the evidence for it.
type Result struct {
	Name   string
	Level  Level
	Status Status
	// Detail is what was seen (on pass) or what is wrong (on fail/skip).
	Detail string
}

// Report is the outcome of every check, in the order they ran.
type Report struct {
	Results []Result
}

// Failed lists the checks that failed.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == StatusFail {
			out = append(out, res)
		}
	}
	return out
}

// Result returns the named check's result.
func (r *Report) Result(name string) (Result, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return Result{}, false
}

// Write prints the report as a table, then one line on what was not checked.
func (r *Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tLEVEL\tCHECK\tDETAIL")
	skipped := 0
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.Status, res.Level, res.Name, res.Detail)
		if res.Status == StatusSkip {
			skipped++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if skipped > 0 {
		_, err := fmt.Fprintf(w, "\n%d of %d checks skipped: what this cluster cannot show (DETAIL says why); on a cluster with Envoy and real nodes, e.g. make verify STACK=dev on minikube, they run.\n", skipped, len(r.Results))
		return err
	}
	return nil
}

// Target is what was deployed, read from the stack's outputs.
type Target struct {
	// Namespace of the workloads (output appNamespace).
	Namespace string
	// IstioNamespace of the control plane, gateway and telemetry (output istioNamespace).
	IstioNamespace string
	// Hops are the chain's hop names in call order, e.g. a, b, c (output chainHops).
	Hops []string
	// ServiceURL is the chain's entry through the ingress gateway (output serviceUrl).
	ServiceURL string
	// Releases are the Helm releases the mesh installed: name -> namespace (output istioReleases).
	Releases map[string]string
	// EntryPort is the first hop's Service port (from output chainEntryUrl).
	EntryPort int32
	// SidecarInjection is whether the app namespace gets Envoy sidecars (output sidecarInjection).
	SidecarInjection bool
	// IngressAPI is how the ingress is configured: istio or gateway-api (output ingressApi).
	IngressAPI components.IngressAPI
	// IstiodRevision is the istiod revision the workloads should run on,
	// "" for the revision-less istiod (output istiodRevision).
	IstiodRevision string
	// Transport is how the hops call each other (output chainTransport;
	// http for a stack without it) and GRPCPort their gRPC port (output
	// chainGrpcPort).
	Transport components.ChainTransport
	GRPCPort  int32
	// Versions are the hops run in versions, by hop (output chainVersions;
	// none without it).
	Versions map[string]HopVersions
}

// Options tune a run.
type Options struct {
	// APIOnly runs only the API-level checks, even on a cluster that runs containers.
	APIOnly bool
	// Requests sent through the ingress before looking for traces and metrics.
	Requests int
	// Wait bounds how long the trace and metrics checks poll (span batching
	// and Prometheus' scrape interval delay both).
	Wait time.Duration
	// APIWait bounds how long an API-level check keeps retrying before it
	// fails: controllers need a moment after `up` (EndpointSlices, rollouts).
	APIWait time.Duration
	// Poll is the interval between polls.
	Poll time.Duration
}

func (o Options) withDefaults() Options {
	if o.Requests <= 0 {
		o.Requests = 20
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Minute
	}
	if o.APIWait <= 0 {
		o.APIWait = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	return o
}

// Run runs every check against the cluster and returns the report. An error
// means the checks could not run at all (e.g. the API server refused the
// credentials); a failing check is a Result, not an error.
func Run(ctx context.Context, c *Cluster, t Target, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	if err := t.validate(); err != nil {
		return nil, err
	}
	where, err := c.placement(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	for _, chk := range apiChecks(c, t) {
		r.Results = append(r.Results, chk.retrying(opts.APIWait, min(opts.Poll, time.Second)).run(ctx))
	}
	for _, chk := range dataPlaneChecks(c, t, where, opts) {
		switch {
		case where.allSimulated():
			r.Results = append(r.Results, Result{Name: chk.name, Level: LevelDataPlane, Status: StatusSkip,
				Detail: "nodes are simulated: no container runs, no traffic can flow"})
		case opts.APIOnly:
			r.Results = append(r.Results, Result{Name: chk.name, Level: LevelDataPlane, Status: StatusSkip, Detail: "-api-only"})
		default:
			r.Results = append(r.Results, chk.run(ctx))
		}
	}
	return r, nil
}

func (t Target) validate() error {
	var missing []string
	if t.Namespace == "" {
		missing = append(missing, stackoutput.AppNamespace)
	}
	if t.IstioNamespace == "" {
		missing = append(missing, stackoutput.IstioNamespace)
	}
	if len(t.Hops) == 0 {
		missing = append(missing, stackoutput.ChainHops)
	}
	if t.ServiceURL == "" {
		missing = append(missing, stackoutput.ServiceURL)
	}
	if len(t.Releases) == 0 {
		missing = append(missing, stackoutput.IstioReleases)
	}
	if t.EntryPort == 0 {
		missing = append(missing, stackoutput.ChainEntryURL)
	}
	if len(missing) > 0 {
		return fmt.Errorf("the stack has no outputs %s: run `make up` first", strings.Join(missing, ", "))
	}
	return nil
}

// check is one named check.
type check struct {
	name  string
	level Level
	// skip, when set, says why the check cannot mean anything on this
	// cluster ("" to run it).
	skip func(ctx context.Context) (reason string, err error)
	fn   func(ctx context.Context) (detail string, err error)
}

// retrying is the check, retried until it passes or wait passes.
func (c check) retrying(wait, interval time.Duration) check {
	fn := c.fn
	c.fn = func(ctx context.Context) (string, error) { return poll(ctx, wait, interval, fn) }
	return c
}

func (c check) run(ctx context.Context) Result {
	if c.skip != nil {
		reason, err := c.skip(ctx)
		if err != nil {
			return Result{Name: c.name, Level: c.level, Status: StatusFail, Detail: err.Error()}
		}
		if reason != "" {
			return Result{Name: c.name, Level: c.level, Status: StatusSkip, Detail: reason}
		}
	}
	detail, err := c.fn(ctx)
	if err != nil {
		return Result{Name: c.name, Level: c.level, Status: StatusFail, Detail: err.Error()}
	}
	return Result{Name: c.name, Level: c.level, Status: StatusPass, Detail: detail}
}

// poll calls fn every interval until it succeeds or wait passes, and returns its last error.
func poll(ctx context.Context, wait, interval time.Duration, fn func(ctx context.Context) (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var last error
	for {
		detail, err := fn(ctx)
		if err == nil {
			return detail, nil
		}
		// An attempt the deadline cut short says only that time ran out:
		// the attempt before it says what was wrong.
		if ctx.Err() == nil || last == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (still failing after %s)", last, wait)
		case <-time.After(interval):
		}
	}
}

// TargetFromOutputs reads a Target from the stack's outputs (as the
// Automation API returns them: strings, and arrays as []interface{}).
func TargetFromOutputs(outputs map[string]interface{}) Target {
	str := func(k string) string { s, _ := outputs[k].(string); return s }
	t := Target{
		Namespace:      str(stackoutput.AppNamespace),
		IstioNamespace: str(stackoutput.IstioNamespace),
		ServiceURL:     str(stackoutput.ServiceURL),
		Releases:       map[string]string{},
	}
	if releases, ok := outputs[stackoutput.IstioReleases].(map[string]interface{}); ok {
		for name, ns := range releases {
			if s, ok := ns.(string); ok {
				t.Releases[name] = s
			}
		}
	}
	// An older stack without the outputs had injection on and Istio's ingress API.
	t.IngressAPI = components.IngressAPIIstio
	if api := str(stackoutput.IngressAPI); api != "" {
		t.IngressAPI = components.IngressAPI(api)
	}
	t.IstiodRevision = str(stackoutput.IstiodRevision)
	t.SidecarInjection = true
	if v, ok := outputs[stackoutput.SidecarInjection].(bool); ok {
		t.SidecarInjection = v
	}
	t.Transport = components.ChainTransportHTTP
	if tr := str(stackoutput.ChainTransport); tr != "" {
		t.Transport = components.ChainTransport(tr)
	}
	if p, ok := outputs[stackoutput.ChainGRPCPort].(float64); ok && p > 0 && p < 65536 {
		t.GRPCPort = int32(p)
	}
	if u, err := url.Parse(str(stackoutput.ChainEntryURL)); err == nil {
		if p, err := strconv.Atoi(u.Port()); err == nil && p > 0 && p < 65536 {
			t.EntryPort = int32(p)
		}
	}
	t.Versions = versionsFromOutput(outputs[stackoutput.ChainVersions])
	if hops, ok := outputs[stackoutput.ChainHops].([]interface{}); ok {
		for _, h := range hops {
			if s, ok := h.(string); ok {
				t.Hops = append(t.Hops, s)
			}
		}
	}
	return t
}

// versionsFromOutput reads output chainVersions: hop -> {weights:
// {version: percent}, headerRoutes: n}, numbers as JSON gives them.
func versionsFromOutput(v interface{}) map[string]HopVersions {
	hops, ok := v.(map[string]interface{})
	if !ok {
		return nil
	}
	out := map[string]HopVersions{}
	for hop, raw := range hops {
		m, ok := raw.(map[string]interface{})
		if !ok {
			continue
		}
		hv := HopVersions{Weights: map[string]int{}}
		if w, ok := m["weights"].(map[string]interface{}); ok {
			for version, n := range w {
				if f, ok := n.(float64); ok {
					hv.Weights[version] = int(f)
				}
			}
		}
		if n, ok := m["headerRoutes"].(float64); ok {
			hv.HeaderRoutes = int(n)
		}
		out[hop] = hv
	}
	return out
}
