// Package ownership keeps a stack from taking over what it did not create.
//
// The kubernetes provider creates an object by server-side apply, which
// updates an object of the same name that is already there: the stack would
// relabel it, record it in its state and delete it on destroy, with
// everything in it when it is a namespace. So before the program registers
// anything, every object the stack creates with a fixed name in a shared
// scope (its namespaces and its cluster-scoped objects; everything else it
// creates lives in those namespaces) is looked up in the cluster: it must be
// absent, or carry this stack's Annotation, which the stack puts on each of
// them. Anything else is refused, naming the config key that asked for it.
// Helm guards the objects of the releases the same way by its own ownership
// metadata (meta.helm.sh/release-name).
package ownership

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Annotation marks an object a stack created and owns; its value is Owner's.
const Annotation = "play-kubernetes.io/stack"

// Owner is the annotation's value for a stack of a project: "<project>/<stack>".
func Owner(project, stack string) string { return project + "/" + stack }

// Object is one object of the cluster, by the resource the API serves it as.
type Object struct {
	Resource schema.GroupVersionResource
	// Kind names it in messages, as users know it (kubectl's argument).
	Kind string
	// Namespace is empty for a cluster-scoped object.
	Namespace string
	Name      string
}

func (o Object) String() string {
	if o.Namespace == "" {
		return fmt.Sprintf("%s %s", o.Kind, o.Name)
	}
	return fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name)
}

// Claim is an object the stack creates under a fixed name, with the config
// key that names it or turns it on.
type Claim struct {
	Object
	Key string
}

// Reader reads the annotations of an object of the cluster; found is false
// when there is no such object.
type Reader interface {
	Annotations(ctx context.Context, o Object) (annotations map[string]string, found bool, err error)
}

// Conflict is a claimed object that exists and is not the stack's.
type Conflict struct {
	Claim
	// Owner is the stack the object's annotation names; empty when it has none.
	Owner string
}

// Conflicts are every Conflict of one Check.
type Conflicts struct {
	Stack string
	List  []Conflict
}

func (c *Conflicts) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the cluster already holds %d object(s) this stack (%s) would create and did not: it never takes over or deletes what it did not create (nothing was changed):", len(c.List), c.Stack)
	for _, x := range c.List {
		made := "made by someone else"
		if x.Owner != "" {
			made = "made by stack " + x.Owner
		}
		fmt.Fprintf(&b, "\n  %s: %s exists, %s; choose a name that does not exist (the stack creates it), or remove it first if it is yours to remove", x.Key, x.Object, made)
		if x.Owner == "" {
			fmt.Fprintf(&b, "; if this stack created it before it marked what it owns, mark it: kubectl annotate %s %s %s=%s", x.Kind, x.Name, Annotation, c.Stack)
			if x.Namespace != "" {
				fmt.Fprintf(&b, " -n %s", x.Namespace)
			}
		}
	}
	return b.String()
}

// Check looks every claim up through r and refuses, all at once, those
// whose object exists and is not stack's. A claim named twice is looked
// up once.
func Check(ctx context.Context, r Reader, stack string, claims []Claim) error {
	seen := map[Object]bool{}
	conflicts := &Conflicts{Stack: stack}
	for _, c := range claims {
		if seen[c.Object] {
			continue
		}
		seen[c.Object] = true
		annotations, found, err := r.Annotations(ctx, c.Object)
		if err != nil {
			return fmt.Errorf("%s: looking up %s to check that it is this stack's: %w (nothing was changed)", c.Key, c.Object, err)
		}
		if found && annotations[Annotation] != stack {
			conflicts.List = append(conflicts.List, Conflict{Claim: c, Owner: annotations[Annotation]})
		}
	}
	if len(conflicts.List) == 0 {
		return nil
	}
	sort.SliceStable(conflicts.List, func(i, j int) bool { return conflicts.List[i].Key < conflicts.List[j].Key })
	return conflicts
}

// Fake is a Reader of a cluster holding exactly its objects, each with its
// annotations: for runs under mocks and tests.
type Fake map[Object]map[string]string

// Annotations reads o from the fake cluster.
func (f Fake) Annotations(_ context.Context, o Object) (map[string]string, bool, error) {
	a, ok := f[o]
	return a, ok, nil
}
