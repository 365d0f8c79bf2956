package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/verify"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// preview prints the diff up would apply.
func preview(inv *invocation) error {
	opts := []optpreview.Option{optpreview.Diff(), optpreview.ProgressStreams(inv.stdout)}
	if inv.opts.refresh {
		opts = append(opts, optpreview.Refresh())
	}
	res, err := inv.stack.Preview(inv.ctx, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.stdout, "\nchanges: %v\n", res.ChangeSummary)
	return nil
}

// up applies the stack and prints its outputs, secrets masked.
func up(inv *invocation) error {
	opts := []optup.Option{optup.ProgressStreams(inv.stdout)}
	if inv.opts.refresh {
		opts = append(opts, optup.Refresh())
	}
	res, err := inv.stack.Up(inv.ctx, opts...)
	if err != nil {
		return err
	}
	values := map[string]interface{}{}
	fmt.Fprintln(inv.stdout, "\noutputs:")
	for name, out := range res.Outputs {
		values[name] = out.Value
		value := out.Value
		if out.Secret {
			value = "[secret]"
		}
		fmt.Fprintf(inv.stdout, "  %-24s %v\n", name, value)
	}
	return awaitRollouts(inv, values)
}

// rolloutWait bounds the wait for rollouts after the engine: as long as
// the kubernetes provider's own await of a Deployment.
const rolloutWait = 10 * time.Minute

// awaitRollouts returns once every workload of the stack is rolled out
// (verify.RolledOut says why the engine's word is not enough), and says
// which ones the engine reported early.
func awaitRollouts(inv *invocation, outputs map[string]interface{}) error {
	cluster, err := verify.NewCluster(inv.restConfig)
	if err != nil {
		return err
	}
	r, err := verify.RolledOut(inv.ctx, cluster, verify.TargetFromOutputs(outputs), rolloutWait, time.Second)
	if len(r.Late) > 0 {
		fmt.Fprintf(inv.stdout, "\nstill rolling out when the engine returned, waiting: %s\n", strings.Join(r.Late, "; "))
	}
	if err != nil {
		return fmt.Errorf("after up: %w", err)
	}
	if len(r.Late) > 0 {
		fmt.Fprintf(inv.stdout, "rolled out %s later\n", r.Waited.Round(100*time.Millisecond))
	}
	return nil
}

func destroy(inv *invocation) error {
	_, err := inv.stack.Destroy(inv.ctx, optdestroy.ProgressStreams(inv.stdout))
	return err
}

func refresh(inv *invocation) error {
	_, err := inv.stack.Refresh(inv.ctx, optrefresh.ProgressStreams(inv.stdout))
	return err
}
