package ownership_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	webhooks   = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
)

const stack = "play-kubernetes/dev"

func namespace(name string) ownership.Object {
	return ownership.Object{Resource: namespaces, Kind: "namespace", Name: name}
}

func TestCheck(t *testing.T) {
	app := ownership.Claim{Object: namespace("playground"), Key: "istio:appNamespace"}
	tag := ownership.Claim{Object: ownership.Object{Resource: webhooks, Kind: "mutatingwebhookconfiguration", Name: "istio-revision-tag-prod"}, Key: "istio:revisionTags"}
	cases := []struct {
		name    string
		cluster ownership.Fake
		claims  []ownership.Claim
		// want are the fragments the error must hold; none: accepted.
		want []string
	}{
		{"nothing there yet", ownership.Fake{}, []ownership.Claim{app, tag}, nil},
		{"this stack's own", ownership.Fake{app.Object: {ownership.Annotation: stack}}, []ownership.Claim{app}, nil},
		{"someone else's namespace", ownership.Fake{app.Object: {"team": "x"}}, []ownership.Claim{app},
			[]string{"istio:appNamespace", "namespace playground exists", "made by someone else", "kubectl annotate namespace playground " + ownership.Annotation + "=" + stack, "nothing was changed"}},
		{"another stack's", ownership.Fake{app.Object: {ownership.Annotation: "play-kubernetes/prod"}}, []ownership.Claim{app},
			[]string{"istio:appNamespace", "made by stack play-kubernetes/prod"}},
		{"a cluster-scoped object without annotations", ownership.Fake{tag.Object: nil}, []ownership.Claim{app, tag},
			[]string{"istio:revisionTags", "mutatingwebhookconfiguration istio-revision-tag-prod exists"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ownership.Check(context.Background(), tc.cluster, stack, tc.claims)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestCheckNamesEveryConflict: all conflicts come in one error, in key
// order, each object once even when two keys claim it.
func TestCheckNamesEveryConflict(t *testing.T) {
	c := ownership.Fake{namespace("a"): nil, namespace("b"): nil}
	err := ownership.Check(context.Background(), c, stack, []ownership.Claim{
		{Object: namespace("b"), Key: "istio:namespace"},
		{Object: namespace("a"), Key: "istio:appNamespace"},
		{Object: namespace("a"), Key: "istio:cni.namespace"},
	})
	var conflicts *ownership.Conflicts
	if !errors.As(err, &conflicts) {
		t.Fatalf("error %v is not Conflicts", err)
	}
	var keys []string
	for _, x := range conflicts.List {
		keys = append(keys, x.Key)
	}
	if got := strings.Join(keys, ","); got != "istio:appNamespace,istio:namespace" {
		t.Errorf("conflicts by key %s, want istio:appNamespace,istio:namespace", got)
	}
}

type failing struct{}

func (failing) Annotations(context.Context, ownership.Object) (map[string]string, bool, error) {
	return nil, false, errors.New("connection refused")
}

// TestCheckReadFailure: a cluster that cannot be read is no permission to go on.
func TestCheckReadFailure(t *testing.T) {
	err := ownership.Check(context.Background(), failing{}, stack, []ownership.Claim{{Object: namespace("playground"), Key: "istio:appNamespace"}})
	if err == nil || !strings.Contains(err.Error(), "istio:appNamespace") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("a failed lookup gave %v, want an error naming the key and the cause", err)
	}
}
