package components

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newDisruptionBudget keeps all but one of a workload's pods up through
// voluntary disruptions (node drains, cluster upgrades). It is only made for
// more than one replica: with one, a budget would block every drain.
func newDisruptionBudget(ctx *pulumi.Context, name string, namespace pulumi.StringInput, replicas int, selector map[string]string, opts ...pulumi.ResourceOption) (*policyv1.PodDisruptionBudget, error) {
	if replicas < 2 {
		return nil, nil
	}
	return policyv1.NewPodDisruptionBudget(ctx, name, &policyv1.PodDisruptionBudgetArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: namespace},
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: stringMap(selector)},
		},
	}, opts...)
}
