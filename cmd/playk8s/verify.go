package main

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/internal/verify"
)

// verifyStack runs the deployed stack's checks and prints the report; any
// failed check makes it an error.
func verifyStack(inv *invocation) error {
	outputs, err := inv.stack.Outputs(inv.ctx)
	if err != nil {
		return err
	}
	values := map[string]interface{}{}
	for k, v := range outputs {
		values[k] = v.Value
	}
	cluster, err := verify.NewCluster(inv.restConfig)
	if err != nil {
		return err
	}
	report, err := verify.Run(inv.ctx, cluster, verify.TargetFromOutputs(values), verify.Options{APIOnly: inv.opts.apiOnly, Wait: inv.opts.wait})
	if err != nil {
		return err
	}
	if err := report.Write(inv.stdout); err != nil {
		return err
	}
	if failed := report.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d of %d checks failed", len(failed), len(report.Results))
	}
	return nil
}
