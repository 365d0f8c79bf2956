package cluster

import (
	"context"
	"time"
)

// Component is one part of the sandbox: a daemon (Binary set) or a step
// that starts nothing (importing images, creating a node, applying
// CoreDNS), with what it waits for and how it is known to be ready.
type Component struct {
	Name string
	// Binary and Args start the daemon; InNetns starts it inside the
	// sandbox's network namespace.
	Binary  string
	Args    []string
	InNetns bool
	// Env is added to the daemon's environment.
	Env []string
	// After are the components that must be ready before this one starts.
	After []string
	// Run does the component's one-off work: after its daemon started, or
	// alone for a step.
	Run func(ctx context.Context) error
	// Ready returns nil once the component serves: polled until Timeout
	// unless it waits by itself (a watch). A daemon that exits meanwhile
	// fails the wait at once with its log.
	Ready   func(ctx context.Context) error
	Timeout time.Duration
	// Stop is the daemon's stop stage: `down` stops stage 0 first, each
	// stage's daemons together.
	Stop int
}

// Daemon reports whether the component is a process.
func (c Component) Daemon() bool { return c.Binary != "" }
