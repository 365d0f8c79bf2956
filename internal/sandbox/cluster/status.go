package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
)

// errNotRunning is status's error when a component or the API is down.
var errNotRunning = errors.New("the sandbox is not (completely) running")

// Status prints the mode, each daemon, the API and the nodes.
func (sb *Sandbox) Status(ctx context.Context) error {
	line := func(k, v string) { fmt.Fprintf(sb.Out, "%-24s %s\n", k, v) }
	down := false
	line("mode", string(sb.Settings.Mode))
	if sb.Real() {
		line("network namespace", sb.Netns.Name)
	}
	for _, c := range sb.Components() {
		if !c.Daemon() {
			continue
		}
		if p, ok := sb.rec.Process(c.Name); ok && process.Alive(p.PID, p.Binary) {
			line(c.Name, fmt.Sprintf("running (pid %d)", p.PID))
		} else {
			line(c.Name, "stopped")
			down = true
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sb.apiReady(ctx); err != nil {
		line("api", "not ready")
		return errNotRunning
	}
	line("api", fmt.Sprintf("ready (https://%s:%d)", host, sb.Settings.APIServerPort))
	cs, _ := sb.client()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err == nil {
		for _, n := range nodes.Items {
			ready := "NotReady"
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready = "Ready"
				}
			}
			line("node "+n.Name, ready)
		}
	}
	if down {
		return errNotRunning
	}
	return nil
}
