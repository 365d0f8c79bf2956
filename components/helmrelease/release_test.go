package helmrelease_test

import (
	"fmt"
	"testing"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
)

// registered is what the engine receives for one release.
type registered struct {
	inputs  string
	version string
}

// register declares one release with every input this package has, either
// through this package or through the SDK's helm/v3, and records what the
// engine receives and the status outputs the program reads.
func register(t *testing.T, useSDK bool, repo string) (registered, int, string) {
	t.Helper()
	var revision int
	var namespace string
	m, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		values := pulumi.Map{"global": pulumi.Map{"hub": pulumi.String("example.test/istio")}, "replicas": pulumi.Int(2)}
		var rev pulumi.IntPtrOutput
		var ns pulumi.StringPtrOutput
		if useSDK {
			var opts helmv3.RepositoryOptsPtrInput
			if repo != "" {
				opts = &helmv3.RepositoryOptsArgs{Repo: pulumi.String(repo)}
			}
			r, err := helmv3.NewRelease(ctx, "istiod", &helmv3.ReleaseArgs{
				Name: pulumi.String("istiod"), Namespace: pulumi.String("istio-system"),
				Chart: pulumi.String("istiod"), Version: pulumi.String("1.27.0"),
				RepositoryOpts: opts, Values: values,
				CleanupOnFail: pulumi.Bool(true), MaxHistory: pulumi.Int(10), Timeout: pulumi.Int(300),
			})
			if err != nil {
				return err
			}
			rev, ns = r.Status.Revision(), r.Status.Namespace()
		} else {
			var opts *helmrelease.RepositoryOpts
			if repo != "" {
				opts = &helmrelease.RepositoryOpts{Repo: &repo}
			}
			r, err := helmrelease.NewRelease(ctx, "istiod", &helmrelease.ReleaseArgs{
				Name: pulumi.String("istiod"), Namespace: pulumi.String("istio-system"),
				Chart: pulumi.String("istiod"), Version: pulumi.String("1.27.0"),
				RepositoryOpts: opts, Values: values,
				CleanupOnFail: pulumi.Bool(true), MaxHistory: pulumi.Int(10), Timeout: pulumi.Int(300),
			})
			if err != nil {
				return err
			}
			rev, ns = r.Status.Revision(), r.Status.Namespace()
		}
		rev.ApplyT(func(v *int) int { revision = *v; return *v })
		ns.ApplyT(func(v *string) string { namespace = *v; return *v })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := m.Find(t, helmrelease.Token, "istiod")
	return registered{inputs: fmt.Sprintf("%v", r.Inputs.Mappable()), version: r.Version}, revision, namespace
}

// The declaration must stay the same resource as the SDK's: a difference in
// a property name, the compat flag or the provider version would show as a
// diff (or a second default provider) on every existing stack.
func TestReleaseMatchesTheSDK(t *testing.T) {
	for _, tc := range []struct {
		name string
		repo string
	}{
		{"a local chart", ""},
		{"a chart from a repository", "https://istio-release.storage.googleapis.com/charts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours, rev, ns := register(t, false, tc.repo)
			sdk, sdkRev, sdkNS := register(t, true, tc.repo)
			if ours != sdk {
				t.Errorf("the engine receives\n%+v\nbut from the SDK's helm/v3.Release\n%+v", ours, sdk)
			}
			if ours.version == "" {
				t.Error("no provider version requested: the release would get its own default provider")
			}
			if rev != sdkRev || ns != sdkNS || rev != 1 || ns != "istio-system" {
				t.Errorf("status read as revision %d in %q; the SDK reads %d in %q (want 1 in istio-system)", rev, ns, sdkRev, sdkNS)
			}
		})
	}
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
