// Package helmrelease declares the kubernetes provider's Helm release,
// the resource kubernetes:helm.sh/v3:Release, with the inputs and outputs
// this project uses. It is the same resource as the SDK's helm/v3.Release:
// same token, same property names, the same provider version, so a stack
// created with either one previews clean with the other.
//
// Why not the SDK's package: helm/v3 also holds the Chart component, which
// imports the SDK's yaml package and through it every Kubernetes API group
// of the SDK. The program would link all of them, and the Go language host
// links it before every preview (`go build -o <new file> ./infra`): the
// package count, binary size and link time with and without it are in
// BENCHMARKS.md ("The standard path").
package helmrelease

import (
	"errors"
	"reflect"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/utilities"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the resource's type token, the SDK's helm/v3.Release's.
const Token = "kubernetes:helm.sh/v3:Release"

// Release is an installed Helm release.
type Release struct {
	pulumi.CustomResourceState

	// Name is the release's name.
	Name pulumi.StringOutput `pulumi:"name"`
	// Namespace is the namespace the release is installed in.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// Chart is the chart's name, path or URL, as given.
	Chart pulumi.StringOutput `pulumi:"chart"`
	// Version is the chart's version, as given.
	Version pulumi.StringPtrOutput `pulumi:"version"`
	// Values are the values given to the chart.
	Values pulumi.MapOutput `pulumi:"values"`
	// Status is what Helm reports of the installed release.
	Status StatusOutput `pulumi:"status"`
}

// ReleaseArgs are a release's inputs; nil fields are not sent, exactly as
// with the SDK's ReleaseArgs.
type ReleaseArgs struct {
	// Name is the release's name. Without it the provider appends a random
	// suffix to the resource's name.
	Name pulumi.StringPtrInput
	// Namespace to install the release into.
	Namespace pulumi.StringPtrInput
	// Chart is a chart name in RepositoryOpts' repository, a path or a URL.
	Chart pulumi.StringInput
	// Version of the chart; the newest when unset.
	Version pulumi.StringPtrInput
	// RepositoryOpts says where a chart given by name is found.
	RepositoryOpts *RepositoryOpts
	// Values set for the release.
	Values pulumi.MapInput
	// CleanupOnFail deletes the new objects of a failed upgrade.
	CleanupOnFail pulumi.BoolPtrInput
	// MaxHistory is the number of release revisions Helm keeps.
	MaxHistory pulumi.IntPtrInput
	// Timeout in seconds for each Kubernetes operation.
	Timeout pulumi.IntPtrInput
	// Compat is set by NewRelease, as the SDK's NewRelease sets it: "true"
	// marks a program that expects the provider's current Release.
	Compat pulumi.StringPtrInput
}

// RepositoryOpts is the chart repository of a release.
type RepositoryOpts struct {
	// Repo is the repository's URL.
	Repo *string `pulumi:"repo"`
}

// releaseArgs is what the provider receives: ReleaseArgs' element type.
type releaseArgs struct {
	Name           *string                `pulumi:"name"`
	Namespace      *string                `pulumi:"namespace"`
	Chart          string                 `pulumi:"chart"`
	Version        *string                `pulumi:"version"`
	RepositoryOpts *RepositoryOpts        `pulumi:"repositoryOpts"`
	Values         map[string]interface{} `pulumi:"values"`
	CleanupOnFail  *bool                  `pulumi:"cleanupOnFail"`
	MaxHistory     *int                   `pulumi:"maxHistory"`
	Timeout        *int                   `pulumi:"timeout"`
	Compat         *string                `pulumi:"compat"`
}

// ElementType is the plain type the inputs resolve to.
func (ReleaseArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*releaseArgs)(nil)).Elem()
}

// NewRelease registers a Helm release, as the SDK's helm/v3.NewRelease does.
func NewRelease(ctx *pulumi.Context, name string, args *ReleaseArgs, opts ...pulumi.ResourceOption) (*Release, error) {
	if args == nil || args.Chart == nil {
		return nil, errors.New("helmrelease: a release needs a Chart")
	}
	sent := *args
	sent.Compat = pulumi.StringPtr("true")
	// The SDK's default options pin the provider to the SDK's version, so
	// these releases share the default provider of every other resource.
	opts = utilities.PkgResourceDefaultOpts(opts)
	var release Release
	if err := ctx.RegisterResource(Token, name, &sent, &release, opts...); err != nil {
		return nil, err
	}
	return &release, nil
}
