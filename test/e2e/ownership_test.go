package e2e

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// A team's namespace, made before the stack and holding the team's data:
// the stack must never label, adopt or delete it.
const (
	foreignNamespace = "team-existing"
	foreignConfigMap = "team-data"
)

// foreignObject is what someone else made: the namespace or its ConfigMap,
// as kubectl shows them.
type foreignObject struct {
	labels, annotations map[string]string
	uid                 string
}

func foreignState(t *testing.T, d *deployment) map[string]foreignObject {
	t.Helper()
	out := map[string]foreignObject{}
	for _, args := range [][]string{{"namespace", foreignNamespace}, {"configmap", foreignConfigMap, "-n", foreignNamespace}} {
		o := d.get(t, args...)
		if o.GetDeletionTimestamp() != nil {
			t.Errorf("%s %s is being deleted", args[0], args[1])
		}
		out[args[0]] = foreignObject{labels: o.GetLabels(), annotations: o.GetAnnotations(), uid: string(o.GetUID())}
	}
	return out
}

// createForeignNamespace makes the team's namespace and ConfigMap with
// kubectl, as a user of the cluster would, and returns how they look.
func createForeignNamespace(t *testing.T, d *deployment) map[string]foreignObject {
	t.Helper()
	d.run(t, "create", "namespace", foreignNamespace)
	d.run(t, "create", "configmap", foreignConfigMap, "-n", foreignNamespace, "--from-literal=owner=team")
	return foreignState(t, d)
}

// checkForeignNamespaceRefused: naming the team's namespace as the app's
// is refused by preview and by up, each naming the key and the namespace,
// and changes nothing: not the cluster, not the state, not the namespace.
func checkForeignNamespaceRefused(t *testing.T, d *deployment, before map[string]foreignObject) {
	cluster, state := clusterFingerprint(t, d), stateResources(t, d)
	d.setConfig(t, "istio:appNamespace", foreignNamespace)
	defer func() {
		if err := d.stack.RemoveConfig(context.Background(), "istio:appNamespace"); err != nil {
			t.Fatal(err)
		}
	}()
	wants := []string{"istio:appNamespace", "namespace " + foreignNamespace + " exists", "made by someone else", "nothing was changed"}
	ops, err := utils.PlannedChanges(context.Background(), d.stack)
	if err == nil {
		t.Errorf("preview accepted %s as the app namespace and plans %v", foreignNamespace, ops)
	}
	_, upErr := d.stack.Up(context.Background(), optup.ProgressStreams(d.progress))
	if upErr == nil {
		t.Fatalf("up took over %s", foreignNamespace)
	}
	for name, err := range map[string]error{"preview": err, "up": upErr} {
		for _, want := range wants {
			if err != nil && !strings.Contains(err.Error(), want) {
				t.Errorf("%s's refusal does not say %q:\n%v", name, want, err)
			}
		}
	}
	if diff := diffFingerprints(cluster, clusterFingerprint(t, d)); len(diff) > 0 {
		t.Errorf("the refused up changed the cluster:\n%s", strings.Join(diff, "\n"))
	}
	if stateResources(t, d) != state {
		t.Error("the refused up changed the stack's state")
	}
	checkForeignUntouched(t, d, before)
}

// checkForeignUntouched: the team's namespace and ConfigMap are the same
// objects, with the same labels and annotations, and carry no mark of the
// stack.
func checkForeignUntouched(t *testing.T, d *deployment, before map[string]foreignObject) {
	t.Helper()
	for kind, now := range foreignState(t, d) {
		was := before[kind]
		if now.uid != was.uid {
			t.Errorf("%s %s was deleted and made again (uid %s -> %s)", kind, foreignNamespace, was.uid, now.uid)
		}
		if !maps.Equal(now.labels, was.labels) || !maps.Equal(now.annotations, was.annotations) {
			t.Errorf("%s of %s changed: labels %v -> %v, annotations %v -> %v", kind, foreignNamespace, was.labels, now.labels, was.annotations, now.annotations)
		}
		if mark, ok := now.annotations[ownership.Annotation]; ok {
			t.Errorf("%s of %s carries the stack's mark %s=%s", kind, foreignNamespace, ownership.Annotation, mark)
		}
	}
}
