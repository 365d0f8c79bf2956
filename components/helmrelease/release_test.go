package helmrelease_test

import (
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
)

// The declaration must stay the same resource as the SDK's helm/v3.Release:
// a difference in a property name, the compat flag or the provider version
// would show as a diff (or a second default provider) on every existing
// stack. The SDK's package is read as source, not compiled: it imports
// every Kubernetes API group of the SDK, packages this program does not
// use, whose compile was a large share of every cold `make test` (the
// figures are in BENCHMARKS.md). Two tests together hold the guarantee: this one, that
// the engine receives exactly the properties below, and
// TestDeclarationMatchesTheSDKSource, that each of them is the SDK's.

// register declares one release with every input this package has, and a
// ConfigMap of the SDK beside it, and records what the engine receives, the
// provider version each asks for and the status outputs the program reads.
func register(t *testing.T, repo string) (inputs map[string]any, version, sdkVersion string, revision int, namespace string) {
	t.Helper()
	m, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		if _, err := corev1.NewConfigMap(ctx, "beside", &corev1.ConfigMapArgs{}); err != nil {
			return err
		}
		var opts *helmrelease.RepositoryOpts
		if repo != "" {
			opts = &helmrelease.RepositoryOpts{Repo: &repo}
		}
		r, err := helmrelease.NewRelease(ctx, "istiod", &helmrelease.ReleaseArgs{
			Name: pulumi.String("istiod"), Namespace: pulumi.String("istio-system"),
			Chart: pulumi.String("istiod"), Version: pulumi.String("1.27.0"),
			RepositoryOpts: opts,
			Values:         pulumi.Map{"global": pulumi.Map{"hub": pulumi.String("example.test/istio")}, "replicas": pulumi.Int(2)},
			CleanupOnFail:  pulumi.Bool(true), MaxHistory: pulumi.Int(10), Timeout: pulumi.Int(300),
		})
		if err != nil {
			return err
		}
		r.Status.Revision().ApplyT(func(v *int) int { revision = *v; return *v })
		r.Status.Namespace().ApplyT(func(v *string) string { namespace = *v; return *v })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := m.Find(t, helmrelease.Token, "istiod")
	return r.Inputs.Mappable(), r.Version, m.Find(t, "kubernetes:core/v1:ConfigMap", "beside").Version, revision, namespace
}

func TestReleaseSendsWhatTheSDKSends(t *testing.T) {
	base := map[string]any{
		"name": "istiod", "namespace": "istio-system", "chart": "istiod", "version": "1.27.0",
		"values":        map[string]any{"global": map[string]any{"hub": "example.test/istio"}, "replicas": 2.0},
		"cleanupOnFail": true, "maxHistory": 10.0, "timeout": 300.0,
		// The SDK's NewRelease sets compat: "true" on every release.
		"compat": "true",
	}
	for _, tc := range []struct {
		name string
		repo string
		want map[string]any
	}{
		{"a local chart", "", base},
		{"a chart from a repository", "https://istio-release.storage.googleapis.com/charts",
			with(base, "repositoryOpts", map[string]any{"repo": "https://istio-release.storage.googleapis.com/charts"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs, version, sdkVersion, rev, ns := register(t, tc.repo)
			if !reflect.DeepEqual(inputs, tc.want) {
				t.Errorf("the engine receives\n%v\nwant\n%v", inputs, tc.want)
			}
			// The SDK's default options ask for the SDK's own provider
			// version; anything else gets the release its own provider.
			if version == "" || version != sdkVersion {
				t.Errorf("provider version %q requested, the SDK's resources request %q", version, sdkVersion)
			}
			if rev != 1 || ns != "istio-system" {
				t.Errorf("status read as revision %d in %q, want 1 in istio-system", rev, ns)
			}
		})
	}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := maps.Clone(m)
	out[k] = v
	return out
}

// TestDeclarationMatchesTheSDKSource reads the SDK's helm/v3 from the
// module this module requires: its NewRelease registers the same token with
// compat "true" and the SDK's default options, and every property this
// package declares (inputs, outputs, the status and repository types) is
// one of the SDK's, with the same plain type.
func TestDeclarationMatchesTheSDKSource(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi-kubernetes/sdk/v4").Output()
	if err != nil {
		t.Fatalf("go list -m the SDK: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "go", "kubernetes", "helm", "v3")
	fset := token.NewFileSet()
	structs := map[string]map[string]string{} // type -> pulumi tag -> type
	var newRelease string
	for _, name := range []string{"release.go", "pulumiTypes.go"} {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if st, ok := n.Type.(*ast.StructType); ok {
					structs[n.Name.Name] = sourceTags(st)
				}
			case *ast.FuncDecl:
				if n.Name.Name == "NewRelease" && n.Recv == nil {
					var b strings.Builder
					_ = printer.Fprint(&b, fset, n.Body)
					newRelease = b.String()
				}
			}
			return true
		})
	}
	for _, stmt := range []string{
		`ctx.RegisterResource(` + strconv.Quote(helmrelease.Token) + `, name, args, &resource, opts...)`,
		`args.Compat = pulumi.StringPtr("true")`,
		`opts = utilities.PkgResourceDefaultOpts(opts)`,
	} {
		if !strings.Contains(newRelease, stmt) {
			t.Errorf("the SDK's NewRelease no longer has %s:\n%s", stmt, newRelease)
		}
	}

	args := helmrelease.ReleaseArgs{}.ElementType()
	for _, tc := range []struct {
		ours      reflect.Type
		sdk       string
		typesToo  bool // outputs differ in Output wrappers; their names must match
		wantCount int
	}{
		{args, "releaseArgs", true, 10},
		{reflect.TypeOf(helmrelease.Release{}), "Release", false, 6},
		{reflect.TypeOf(helmrelease.Status{}), "ReleaseStatus", true, 7},
		{reflect.TypeOf(helmrelease.RepositoryOpts{}), "RepositoryOpts", true, 1},
	} {
		sdk, ok := structs[tc.sdk]
		if !ok {
			t.Errorf("no struct %s in the SDK's helm/v3", tc.sdk)
			continue
		}
		ours := reflectTags(tc.ours)
		if len(ours) != tc.wantCount {
			t.Errorf("%s declares %d properties, want %d: %v", tc.ours, len(ours), tc.wantCount, ours)
		}
		for tag, typ := range ours {
			sdkType, ok := sdk[tag]
			switch {
			case !ok:
				t.Errorf("%s.%s is not a property of the SDK's %s", tc.ours, tag, tc.sdk)
			case tc.typesToo && typ != sdkType:
				t.Errorf("%s.%s is %s, the SDK's %s has %s", tc.ours, tag, typ, tc.sdk, sdkType)
			}
		}
	}
}

// sourceTags maps each field's pulumi tag to its type as written.
func sourceTags(st *ast.StructType) map[string]string {
	out := map[string]string{}
	for _, f := range st.Fields.List {
		if f.Tag == nil {
			continue
		}
		raw, err := strconv.Unquote(f.Tag.Value)
		if err != nil {
			continue
		}
		if tag := reflect.StructTag(raw).Get("pulumi"); tag != "" {
			out[tag] = strings.ReplaceAll(typeString(f.Type), " ", "")
		}
	}
	return out
}

func typeString(e ast.Expr) string {
	var b strings.Builder
	_ = printer.Fprint(&b, token.NewFileSet(), e)
	return b.String()
}

// reflectTags maps each field's pulumi tag to its type as the SDK's source
// would write it (package qualifiers of this package dropped).
func reflectTags(t reflect.Type) map[string]string {
	out := map[string]string{}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("pulumi"); tag != "" {
			typ := strings.ReplaceAll(f.Type.String(), "helmrelease.", "")
			out[tag] = strings.ReplaceAll(typ, " ", "")
		}
	}
	return out
}

func TestReleaseNeedsAChart(t *testing.T) {
	_, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		_, err := helmrelease.NewRelease(ctx, "x", &helmrelease.ReleaseArgs{Name: pulumi.String("x")})
		return err
	})
	if err == nil {
		t.Fatal("a release without a chart was accepted")
	}
}
