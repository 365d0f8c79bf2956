package main

import (
	"fmt"
	"os"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/recovery"
	"k8s.io/client-go/kubernetes"
)

// recoverInterrupted clears what a killed run left behind (its lock, Helm
// releases left pending), so this run starts without manual repair.
func recoverInterrupted(inv *invocation) error {
	kube, err := kubernetes.NewForConfig(inv.restConfig)
	if err != nil {
		return err
	}
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	report, err := recovery.Recover(inv.ctx, recovery.Args{
		Stack: inv.stack, BackendURL: inv.eng.BackendURL(), Project: engine.ProjectName, Kube: kube, Host: host,
	})
	if err != nil {
		return fmt.Errorf("stack %s: %w", inv.opts.stack, err)
	}
	for _, line := range report.Repairs {
		fmt.Fprintln(inv.stdout, "recovered:", line)
	}
	return nil
}
