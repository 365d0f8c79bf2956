package components_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const webhookType = "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"

// canaryArgs is the middle of a canary upgrade: the old revision and the
// new one side by side, the tag the app selects pointing at target.
func canaryArgs(target string) components.IstioMeshArgs {
	args := meshArgs()
	args.Spec.Revisions = []components.IstiodRevision{{Name: "1-31-4"}, {Name: "canary", Version: "1.32.0"}}
	args.Spec.RevisionTags = map[string]string{"prod-stable": target}
	args.Spec.AppRevision = "prod-stable"
	return args
}

// TestIstioMeshRevisions: one istiod release per revision, each Istio's
// `revision` at its own chart; the tag's webhook sends the app namespace's
// and the gateway's pods to the revision it points at; the cluster-wide
// validation follows it; workloads wait for it.
func TestIstioMeshRevisions(t *testing.T) {
	var attachment components.MeshAttachment
	var revision *pulumimock.Captured[string]
	var tagWebhook, oldIstiod pulumi.Resource
	args := canaryArgs("1-31-4")
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		mesh, err := components.NewIstioMesh(ctx, "istio", &args)
		if err != nil {
			return err
		}
		attachment = mesh.Attachment
		tagWebhook, oldIstiod = mesh.RevisionTags["prod-stable"], mesh.Istiods["1-31-4"]
		revision = pulumimock.Capture[string](mesh.IstiodRevision)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mocks.OfType(releaseType)); n != 5 {
		t.Errorf("%d releases, want base, cni, two istiods and the gateway: %v", n, mocks.Summary())
	}
	old := mocks.Find(t, releaseType, "istiod-1-31-4")
	canary := mocks.Find(t, releaseType, "istiod-canary")
	for _, tc := range []struct {
		release           *pulumimock.Resource
		revision, version string
	}{{old, "1-31-4", "1.31.4"}, {canary, "canary", "1.32.0"}} {
		if got := tc.release.Get("values.revision"); got != tc.revision {
			t.Errorf("%s: values.revision = %v, want %s", tc.release.Name, got, tc.revision)
		}
		if got := tc.release.Get("version"); got != tc.version {
			t.Errorf("%s: chart version = %v, want %s", tc.release.Name, got, tc.version)
		}
		if got := tc.release.Get("name"); got != tc.release.Name {
			t.Errorf("%s: release name %v", tc.release.Name, got)
		}
	}

	tag := mocks.Find(t, webhookType, "istio-revision-tag-prod-stable")
	for path, want := range map[string]interface{}{
		"metadata.labels.istio\\.io/tag":                           "prod-stable",
		"metadata.labels.istio\\.io/rev":                           "1-31-4",
		"webhooks.0.name":                                          "rev.namespace.sidecar-injector.istio.io",
		"webhooks.0.clientConfig.service.name":                     "istiod-1-31-4",
		"webhooks.0.clientConfig.service.path":                     "/inject",
		"webhooks.0.namespaceSelector.matchExpressions.0.values.0": "prod-stable",
		"webhooks.1.name":                                          "rev.object.sidecar-injector.istio.io",
		"webhooks.1.objectSelector.matchExpressions.1.values.0":    "prod-stable",
	} {
		if got := tag.Get(path); got != want {
			t.Errorf("tag webhook %s = %v, want %v", path, got, want)
		}
	}
	if got := tag.Get("webhooks.0.clientConfig.caBundle"); got != nil {
		t.Errorf("tag webhook sets a caBundle (%v): istiod patches it", got)
	}
	if !tag.DependsOn(old.URN) {
		t.Error("the tag's webhook does not wait for the istiod it points at")
	}

	app := mocks.Find(t, "kubernetes:core/v1:Namespace", "playground")
	if got := app.Get("metadata.labels.istio\\.io/rev"); got != "prod-stable" {
		t.Errorf("app namespace istio.io/rev = %v, want the tag", got)
	}
	if got := app.Get("metadata.labels.istio-injection"); got != nil {
		t.Errorf("app namespace keeps istio-injection=%v: the tag's webhook skips namespaces with it", got)
	}
	gateway := mocks.Find(t, releaseType, "istio-ingressgateway")
	if got := gateway.Get("values.revision"); got != "prod-stable" {
		t.Errorf("gateway revision = %v, want the tag", got)
	}
	if got := gateway.Get("values.podAnnotations.playk8s\\.io/istio-revision"); got != "1-31-4" {
		t.Errorf("gateway pods' revision annotation = %v", got)
	}
	if !gateway.DependsOn(tag.URN) || !gateway.DependsOn(canary.URN) {
		t.Error("the gateway does not wait for the tag's webhook and every istiod")
	}
	base := mocks.Find(t, releaseType, "istio-base")
	if got := base.Get("values.defaultRevision"); got != "1-31-4" {
		t.Errorf("base defaultRevision = %v, want the revision the app's tag points at", got)
	}
	if got := revision.Value(t); got != "1-31-4" {
		t.Errorf("istiodRevision output = %q", got)
	}
	if !reflect.DeepEqual(attachment.PodAnnotations, map[string]string{components.RevisionAnnotation: "1-31-4"}) {
		t.Errorf("pods are stamped %v", attachment.PodAnnotations)
	}
	for name, want := range map[string]pulumi.Resource{"the tag's webhook": tagWebhook, "the tag's istiod": oldIstiod} {
		if !slices.Contains(attachment.Injector, want) {
			t.Errorf("workloads do not wait for %s", name)
		}
	}
	if len(attachment.IstioAPI) != 3 {
		t.Errorf("Istio resources wait for %d resources, want base and both istiods", len(attachment.IstioAPI))
	}
}

// TestMovingTheTagRollsTheWorkloads: the canary's step "move the tag"
// changes the tag's webhook, the validation default, the gateway's and
// the workloads' revision annotation, and no release but base and gateway.
func TestMovingTheTagRollsTheWorkloads(t *testing.T) {
	before, _ := runMesh(t, canaryArgs("1-31-4"))
	after, _ := runMesh(t, canaryArgs("canary"))
	for _, tc := range []struct {
		typ, name, path string
	}{
		{webhookType, "istio-revision-tag-prod-stable", "metadata.labels.istio\\.io/rev"},
		{webhookType, "istio-revision-tag-prod-stable", "webhooks.0.clientConfig.service.name"},
		{releaseType, "istio-base", "values.defaultRevision"},
		{releaseType, "istio-ingressgateway", "values.podAnnotations.playk8s\\.io/istio-revision"},
	} {
		if b, a := before.Find(t, tc.typ, tc.name).Get(tc.path), after.Find(t, tc.typ, tc.name).Get(tc.path); b == a {
			t.Errorf("%s %s unchanged (%v) by moving the tag", tc.name, tc.path, a)
		}
	}
	for _, name := range []string{"istiod-1-31-4", "istiod-canary", "istio-cni"} {
		if b, a := before.Find(t, releaseType, name).Get("values"), after.Find(t, releaseType, name).Get("values"); !reflect.DeepEqual(a, b) {
			t.Errorf("%s's values change when the tag moves", name)
		}
	}
}

// TestIstioMeshWithoutRevisionsUnchanged: the tutorial's install keeps its
// one revision-less istiod and istio-injection label, and no tag.
func TestIstioMeshWithoutRevisionsUnchanged(t *testing.T) {
	mocks, _ := runMesh(t, meshArgs())
	istiod := mocks.Find(t, releaseType, "istiod")
	if got := istiod.Get("values.revision"); got != nil {
		t.Errorf("revision-less istiod has revision %v", got)
	}
	if n := len(mocks.OfType(webhookType)); n != 0 {
		t.Errorf("%d tag webhooks without revisions", n)
	}
	if got := mocks.Find(t, releaseType, "istio-base").Get("values.defaultRevision"); got != nil {
		t.Errorf("base defaultRevision = %v without revisions", got)
	}
}

func TestRevisionRules(t *testing.T) {
	revisions := func(names ...string) []components.IstiodRevision {
		var out []components.IstiodRevision
		for _, n := range names {
			out = append(out, components.IstiodRevision{Name: n})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		edit  func(*components.IstioMeshSpec)
		paths []string
	}{
		{"a tag without revisions", func(s *components.IstioMeshSpec) {
			s.RevisionTags = map[string]string{"prod-stable": "a"}
		}, []string{"revisionTags"}},
		{"an app revision without revisions", func(s *components.IstioMeshSpec) { s.AppRevision = "a" }, []string{"appRevision"}},
		{"revisions without an app revision", func(s *components.IstioMeshSpec) { s.Revisions = revisions("a") }, []string{"appRevision"}},
		{"Istio's reserved name", func(s *components.IstioMeshSpec) {
			s.Revisions, s.AppRevision = revisions("default"), "default"
		}, []string{"revisions[0].name"}},
		{"a name Helm refuses", func(s *components.IstioMeshSpec) {
			s.Revisions, s.AppRevision = revisions("1.31.4"), "1.31.4"
		}, []string{"revisions[0].name"}},
		{"a name too long", func(s *components.IstioMeshSpec) {
			long := strings.Repeat("r", 41)
			s.Revisions, s.AppRevision = revisions(long), long
		}, []string{"revisions[0].name"}},
		{"a duplicate revision", func(s *components.IstioMeshSpec) {
			s.Revisions, s.AppRevision = revisions("a", "a"), "a"
		}, []string{"revisions[1].name"}},
		{"a tag pointing at no revision", func(s *components.IstioMeshSpec) {
			s.Revisions, s.RevisionTags, s.AppRevision = revisions("a"), map[string]string{"stable": "b"}, "stable"
		}, []string{"revisionTags[stable]"}},
		{"a tag named like a revision", func(s *components.IstioMeshSpec) {
			s.Revisions, s.RevisionTags, s.AppRevision = revisions("a", "b"), map[string]string{"b": "a"}, "a"
		}, []string{"revisionTags[b]"}},
		{"an app revision that is neither", func(s *components.IstioMeshSpec) {
			s.Revisions, s.AppRevision = revisions("a"), "stable"
		}, []string{"appRevision"}},
		{"a bad revision chart version", func(s *components.IstioMeshSpec) {
			s.Revisions, s.AppRevision = []components.IstiodRevision{{Name: "a", Version: "latest"}}, "a"
		}, []string{"revisions[0].version"}},
		{"a mesh-wide image tag with a revision's own chart", func(s *components.IstioMeshSpec) {
			s.Tag = "1.31.4"
			s.Revisions, s.AppRevision = []components.IstiodRevision{{Name: "a", Version: "1.32.0"}}, "a"
		}, []string{"tag"}},
		{"a revision's chart directory without istiod", func(s *components.IstioMeshSpec) {
			s.Revisions, s.AppRevision = []components.IstiodRevision{{Name: "a", ChartDir: t.TempDir()}}, "a"
		}, []string{"revisions[0].chartDir"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := meshSpec()
			tc.edit(&s)
			var got []string
			for _, e := range s.Validate() {
				got = append(got, e.Field)
				if !strings.Contains(e.Error(), e.Field) {
					t.Errorf("%q does not name its key", e.Error())
				}
			}
			if !reflect.DeepEqual(got, tc.paths) {
				t.Errorf("refused %v, want %v", got, tc.paths)
			}
		})
	}
	s := meshSpec()
	s.Revisions, s.RevisionTags, s.AppRevision = revisions("1-31-4", "canary"), map[string]string{"prod-stable": "1-31-4", "prod-canary": "canary"}, "prod-stable"
	if errs := s.Validate(); len(errs) != 0 {
		t.Errorf("a canary with two tags is refused: %v", errs)
	}
	s.AppRevision = "canary" // a revision itself, without its tag
	if errs := s.Validate(); len(errs) != 0 {
		t.Errorf("selecting a revision directly is refused: %v", errs)
	}
}
