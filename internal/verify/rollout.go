package verify

import (
	"context"
	"fmt"
	"time"
)

// Rollout is what RolledOut saw.
type Rollout struct {
	// Late are the workloads still rolling out when RolledOut first looked
	// (empty when every one was current at once), with kstatus' reason.
	Late []string
	// Waited is how long RolledOut polled before its answer (zero when the
	// first look decided).
	Waited time.Duration
}

// RolledOut waits until every Deployment and DaemonSet in the stack's
// namespaces is current as kstatus judges it, as `kubectl rollout status`
// would. It fails at once on a workload kstatus calls Failed (past its
// progress deadline) or a hop without its Deployment, and after within on
// one still rolling out.
//
// `up` needs it after the engine is done: the kubernetes provider's
// Deployment awaiter can report a rollout finished before it is. When a
// pod template goes back to one a ReplicaSet already ran (a rollback, a
// setting switched back), the Deployment controller reuses that
// ReplicaSet and gives it the new revision before it scales it up; the
// awaiter reads the revision's ReplicaSet with zero replicas wanted and
// the previous rollout's Progressing condition, and calls it done. Seen
// on the sandbox switching chain:transport back and forth: up returned
// with the new pod not Ready and the old one still serving.
func RolledOut(ctx context.Context, c *Cluster, t Target, within, interval time.Duration) (Rollout, error) {
	start := time.Now()
	deadline := start.Add(within)
	var r Rollout
	for first := true; ; first = false {
		w, err := judgeWorkloads(ctx, c, t)
		if err != nil {
			return r, err
		}
		if first {
			r.Late = w.inProgress
		} else {
			r.Waited = time.Since(start)
		}
		if len(w.failed) > 0 {
			return r, fmt.Errorf("rollout failed: %w", w.err())
		}
		if len(w.inProgress) == 0 {
			return r, nil
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("still rolling out after %s: %w", within, w.err())
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-time.After(interval):
		}
	}
}
