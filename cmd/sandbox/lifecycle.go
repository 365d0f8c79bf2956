package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/cluster"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/hoststate"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// checkout is the layout of the checkout the command runs in and the
// environment's settings.
func checkout() (layout.Layout, cluster.Settings, error) {
	l, err := layout.FromWorkingDir()
	if err != nil {
		return layout.Layout{}, cluster.Settings{}, err
	}
	settings, err := cluster.ReadEnvironment()
	return l, settings, err
}

// runLifecycle runs up, down or status on the checkout's sandbox.
func runLifecycle(ctx context.Context, log *slog.Logger, cmd string) error {
	l, settings, err := checkout()
	if err != nil {
		return err
	}
	sb, err := cluster.New(l, settings, log, os.Stdout)
	if err != nil {
		return err
	}
	switch cmd {
	case "up":
		return sb.Up(ctx)
	case "down":
		return sb.Down(ctx)
	default:
		return sb.Status(ctx)
	}
}

// runHostSnapshot prints the host's state, leaving out the sandbox's own
// namespace (the recorded one, else SANDBOX_NETNS's).
func runHostSnapshot() error {
	l, settings, err := checkout()
	if err != nil {
		return err
	}
	own := settings.Netns
	if rec, found, err := record.Load(l.SandboxState().Record()); err == nil && found && rec.Netns != "" {
		own = rec.Netns
	}
	_, err = fmt.Print(hoststate.Snapshot(own))
	return err
}
