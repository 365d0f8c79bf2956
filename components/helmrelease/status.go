package helmrelease

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Status is what Helm reports of an installed release.
type Status struct {
	// Name of the release.
	Name *string `pulumi:"name"`
	// Namespace the release is installed in.
	Namespace *string `pulumi:"namespace"`
	// Revision is the release's Helm revision, 1 on install and one more
	// on every upgrade.
	Revision *int `pulumi:"revision"`
	// Status of the release, e.g. "deployed".
	Status string `pulumi:"status"`
	// Chart is the chart's name.
	Chart *string `pulumi:"chart"`
	// Version is the chart's version.
	Version *string `pulumi:"version"`
	// AppVersion is the version of what the chart deploys.
	AppVersion *string `pulumi:"appVersion"`
}

// StatusOutput is a release's Status, once the provider reported it.
type StatusOutput struct{ *pulumi.OutputState }

// ElementType is Status.
func (StatusOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*Status)(nil)).Elem()
}

// Revision is the release's Helm revision.
func (o StatusOutput) Revision() pulumi.IntPtrOutput {
	return o.ApplyT(func(s Status) *int { return s.Revision }).(pulumi.IntPtrOutput)
}

// Namespace is the namespace the release is installed in.
func (o StatusOutput) Namespace() pulumi.StringPtrOutput {
	return o.ApplyT(func(s Status) *string { return s.Namespace }).(pulumi.StringPtrOutput)
}

// The SDK creates a resource's outputs by their registered types.
func init() {
	pulumi.RegisterOutputType(StatusOutput{})
}
