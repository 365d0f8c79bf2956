package main

import (
	"fmt"

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
	fmt.Fprintln(inv.stdout, "\noutputs:")
	for name, out := range res.Outputs {
		value := out.Value
		if out.Secret {
			value = "[secret]"
		}
		fmt.Fprintf(inv.stdout, "  %-24s %v\n", name, value)
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
