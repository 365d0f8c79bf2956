package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// checkOrder refuses a list where a component waits for one that is not
// before it: the list is the order, and its dependencies must agree.
func checkOrder(comps []Component) error {
	seen := map[string]bool{}
	for _, c := range comps {
		for _, dep := range c.After {
			if !seen[dep] {
				return fmt.Errorf("component %s waits for %q, which is not listed before it", c.Name, dep)
			}
		}
		if seen[c.Name] {
			return fmt.Errorf("component %s is listed twice", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// run starts every component as soon as the ones it waits for are ready,
// and waits for each to be ready; the first failure cancels the rest. A
// daemon whose recorded process still runs is not started again.
func (sb *Sandbox) run(ctx context.Context, comps []Component) error {
	if err := checkOrder(comps); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ready := map[string]chan struct{}{}
	for _, c := range comps {
		ready[c.Name] = make(chan struct{})
	}
	errs := make(chan error, len(comps))
	for _, c := range comps {
		go func() {
			for _, dep := range c.After {
				select {
				case <-ready[dep]:
				case <-ctx.Done():
					errs <- nil
					return
				}
			}
			start := time.Now()
			err := sb.bringUp(ctx, c)
			if err != nil {
				cancel(err)
			} else {
				sb.Log.Debug("ready", "component", c.Name, "after", time.Since(start).Round(time.Millisecond))
				close(ready[c.Name])
			}
			errs <- err
		}()
	}
	var first error
	for range comps {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = context.Cause(ctx)
		if errors.Is(first, context.Canceled) {
			first = nil
		}
	}
	return first
}

// bringUp starts one component unless it runs, and waits until it is ready.
func (sb *Sandbox) bringUp(ctx context.Context, c Component) error {
	pid := 0
	if c.Daemon() {
		var err error
		if pid, err = sb.ensureStarted(c); err != nil {
			return err
		}
	}
	if c.Run != nil {
		if err := c.Run(ctx); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	if c.Ready == nil {
		return nil
	}
	return sb.waitReady(ctx, c, pid)
}

// ensureStarted starts the daemon unless its recorded process runs, and
// records it.
func (sb *Sandbox) ensureStarted(c Component) (int, error) {
	sb.mu.Lock()
	p, ok := sb.rec.Process(c.Name)
	sb.mu.Unlock()
	if ok && p.Binary == c.Binary && process.Alive(p.PID, p.Binary) {
		return p.PID, nil
	}
	sb.Log.Info("starting " + c.Name)
	spec := process.Spec{Name: c.Name, Binary: c.Binary, Args: c.Args, Env: c.Env, Log: sb.State.Log(c.Name)}
	if c.InNetns {
		spec.Netns = sb.Netns.Path()
	}
	pid, err := process.Start(spec)
	if err != nil {
		return 0, err
	}
	return pid, sb.update(func(r *record.Record) {
		r.SetProcess(record.Process{Name: c.Name, PID: pid, Binary: c.Binary, InNetns: c.InNetns})
	})
}

// waitReady polls the component's readiness until it answers, its
// timeout passes, or its daemon exits (a port in use, a bad flag): then
// the error carries the end of its log.
func (sb *Sandbox) waitReady(ctx context.Context, c Component, pid int) error {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		attempt, stop := context.WithTimeout(ctx, 5*time.Second)
		last = c.Ready(attempt)
		stop()
		if last == nil {
			return nil
		}
		if c.Daemon() && !process.Alive(pid, c.Binary) {
			log := sb.State.Log(c.Name)
			return fmt.Errorf("%s exited while starting; its log %s ends:\n%s", c.Name, sb.Layout.Rel(log), process.Tail(log, 20))
		}
		select {
		case <-ctx.Done():
			if cause := context.Cause(ctx); !errors.Is(cause, context.DeadlineExceeded) {
				return cause
			}
			return fmt.Errorf("%s: not ready after %s: %v; logs in %s", c.Name, timeout, last, sb.Layout.Rel(sb.State.Logs()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopStages are the list's stop stages, ascending.
func stopStages(comps []Component) []int {
	var out []int
	for _, c := range comps {
		if c.Daemon() && !slices.Contains(out, c.Stop) {
			out = append(out, c.Stop)
		}
	}
	slices.Sort(out)
	return out
}
