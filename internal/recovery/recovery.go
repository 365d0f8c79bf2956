// Package recovery lets the next run continue after a run was killed
// mid-way (CI runner cancelled, laptop closed, kill -9): without it the
// engine refuses to start ("the stack is currently locked") and Helm
// refuses to touch a release left "pending-install" or "pending-upgrade"
// ("cannot re-use a name that is still in use", "another operation is in
// progress"), and a user has to repair both by hand.
//
// Recover is the one entry point. It only acts on evidence that a run of
// this stack was interrupted: a lock held by a process that no longer
// exists, and pending operations the engine recorded in the stack's state.
// A lock held by a live process, or by another host, is never taken, and
// the repairs run while the recovery holds the stack by the engine's own
// lock (Hold), so no run starts in the middle of one.
package recovery

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"k8s.io/client-go/kubernetes"
)

// releaseType is the Pulumi type of a Helm release.
const releaseType = "kubernetes:helm.sh/v3:Release"

// Args are what Recover works on.
type Args struct {
	Stack auto.Stack
	// BackendURL is the stack's state backend; only file:// backends keep
	// lock files here (service backends: `pulumi cancel`).
	BackendURL string
	Project    string
	// Kube reaches the stack's cluster, for its Helm releases.
	Kube kubernetes.Interface
	// Host is this machine's name, as the engine writes it into locks.
	Host string
}

// Report says what Recover repaired, one line per repair.
type Report struct {
	Repairs []string
}

func (r *Report) add(format string, a ...interface{}) {
	r.Repairs = append(r.Repairs, fmt.Sprintf(format, a...))
}

// Recover removes the stack's stale locks and repairs the Helm releases an
// interrupted run left pending, holding the stack meanwhile. It returns an
// error, and changes nothing, when another run holds the stack.
func Recover(ctx context.Context, a Args) (report *Report, err error) {
	held, err := Hold(a.BackendURL, a.Project, a.Stack.Name(), a.Host)
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := held.Release(); rerr != nil && err == nil {
			report, err = nil, rerr
		}
	}()
	r := &Report{}
	for _, l := range held.Cleared {
		r.add("removed the lock of a killed run (pid %d, %s)", l.PID, l.Time.Format("15:04:05 MST"))
	}

	pending, err := pendingReleases(ctx, a.Stack)
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		done, err := RepairRelease(ctx, a.Kube, p.namespace, p.name)
		if err != nil {
			return nil, fmt.Errorf("repairing Helm release %s/%s, interrupted while %s: %w", p.namespace, p.name, p.op, err)
		}
		if done != "" {
			r.add("Helm release %s/%s, interrupted while %s: %s", p.namespace, p.name, p.op, done)
		}
	}
	return r, nil
}

type pendingRelease struct {
	namespace, name, op string
}

// pendingReleases lists the Helm releases the state says an operation was
// interrupted on.
func pendingReleases(ctx context.Context, s auto.Stack) ([]pendingRelease, error) {
	exported, err := s.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the stack's state: %w", err)
	}
	if len(exported.Deployment) == 0 {
		return nil, nil
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &d); err != nil {
		return nil, fmt.Errorf("reading the stack's state: %w", err)
	}
	var out []pendingRelease
	for _, op := range d.PendingOperations {
		if string(op.Resource.Type) != releaseType {
			continue
		}
		name, _ := op.Resource.Inputs["name"].(string)
		ns, _ := op.Resource.Inputs["namespace"].(string)
		if name == "" || ns == "" {
			continue
		}
		out = append(out, pendingRelease{namespace: ns, name: name, op: string(op.Type)})
	}
	return out, nil
}
