package components

import (
	"maps"
	"slices"

	"github.com/play-kubernetes/play-kubernetes/components/helmrelease"
	admissionregistrationv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/admissionregistration/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// newRevisionTags registers each revision tag's injection webhook, after
// the istiod it points at (istiods, by revision; none in render mode), and
// returns them by tag. It is the webhook configuration the istiod chart
// renders for its `revisionTags` (revision-tags-mwc.yaml, which Istio's
// Helm canary upgrade applies with `helm template -s ... | kubectl
// apply`), as a resource of its own rather than part of an istiod
// release: moving a tag is then one update of it, where inside the
// releases it would move from one release to another in one up and Helm
// would refuse the object the other release still owns. The caBundle is
// left to istiod, which patches it into the webhooks labeled with its
// revision, as it does for its own.
func newRevisionTags(ctx *pulumi.Context, s IstioMeshSpec, system *corev1.Namespace, istiods map[string]*helmrelease.Release, parent pulumi.ResourceOption) (map[string]*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	out := map[string]*admissionregistrationv1.MutatingWebhookConfiguration{}
	for _, tag := range s.sortedTags() {
		revision := s.RevisionTags[tag]
		name := RevisionTagWebhookName(tag, s.Namespace)
		deps := []pulumi.Resource{system}
		if istiod := istiods[revision]; istiod != nil {
			deps = append(deps, istiod)
		}
		webhook, err := admissionregistrationv1.NewMutatingWebhookConfiguration(ctx, name, &admissionregistrationv1.MutatingWebhookConfigurationArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name:        pulumi.String(name),
				Annotations: ownedAnnotations(stackAnnotations(ctx)),
				Labels: pulumi.StringMap{
					RevisionTagLabel:         pulumi.String(tag),
					RevisionLabel:            pulumi.String(revision),
					"app":                    pulumi.String("sidecar-injector"),
					"app.kubernetes.io/name": pulumi.String("istiod"),
				},
			},
			Webhooks: tagWebhooks(tag, IstiodReleaseName(revision), s.Namespace),
		}, parent, pulumi.DependsOn(deps))
		if err != nil {
			return nil, err
		}
		out[tag] = webhook
	}
	return out, nil
}

// tagWebhooks are the tag's two webhooks, as Istio's chart renders them:
// pods in namespaces labeled istio.io/rev=<tag> (and no istio-injection
// label), and pods labeled istio.io/rev=<tag> in namespaces with neither
// label (the gateway's). Both call the revision's istiod at /inject.
func tagWebhooks(tag, istiodService, namespace string) admissionregistrationv1.MutatingWebhookArray {
	webhook := func(prefix string, nsSelector, objSelector metav1.LabelSelectorRequirementArray) admissionregistrationv1.MutatingWebhookArgs {
		return admissionregistrationv1.MutatingWebhookArgs{
			Name: pulumi.String(prefix + "sidecar-injector.istio.io"),
			ClientConfig: &admissionregistrationv1.WebhookClientConfigArgs{
				Service: &admissionregistrationv1.ServiceReferenceArgs{
					Name:      pulumi.String(istiodService),
					Namespace: pulumi.String(namespace),
					Path:      pulumi.String("/inject"),
					Port:      pulumi.Int(443),
				},
			},
			SideEffects: pulumi.String("None"),
			Rules: admissionregistrationv1.RuleWithOperationsArray{admissionregistrationv1.RuleWithOperationsArgs{
				Operations:  pulumi.StringArray{pulumi.String("CREATE")},
				ApiGroups:   pulumi.StringArray{pulumi.String("")},
				ApiVersions: pulumi.StringArray{pulumi.String("v1")},
				Resources:   pulumi.StringArray{pulumi.String("pods")},
			}},
			FailurePolicy:           pulumi.String("Fail"),
			ReinvocationPolicy:      pulumi.String("Never"),
			AdmissionReviewVersions: pulumi.StringArray{pulumi.String("v1")},
			NamespaceSelector:       &metav1.LabelSelectorArgs{MatchExpressions: nsSelector},
			ObjectSelector:          &metav1.LabelSelectorArgs{MatchExpressions: objSelector},
		}
	}
	is := func(key string, values ...string) metav1.LabelSelectorRequirementArgs {
		return metav1.LabelSelectorRequirementArgs{Key: pulumi.String(key), Operator: pulumi.String("In"), Values: pulumi.ToStringArray(values)}
	}
	notIn := func(key string, values ...string) metav1.LabelSelectorRequirementArgs {
		return metav1.LabelSelectorRequirementArgs{Key: pulumi.String(key), Operator: pulumi.String("NotIn"), Values: pulumi.ToStringArray(values)}
	}
	absent := func(key string) metav1.LabelSelectorRequirementArgs {
		return metav1.LabelSelectorRequirementArgs{Key: pulumi.String(key), Operator: pulumi.String("DoesNotExist")}
	}
	const optOut = "sidecar.istio.io/inject"
	return admissionregistrationv1.MutatingWebhookArray{
		webhook("rev.namespace.",
			metav1.LabelSelectorRequirementArray{is(RevisionLabel, tag), absent(InjectionLabel)},
			metav1.LabelSelectorRequirementArray{notIn(optOut, "false")}),
		webhook("rev.object.",
			metav1.LabelSelectorRequirementArray{absent(RevisionLabel), absent(InjectionLabel)},
			metav1.LabelSelectorRequirementArray{notIn(optOut, "false"), is(RevisionLabel, tag)}),
	}
}

// tagWebhookResources are what a gateway injected through a tag waits for.
func tagWebhookResources(tags map[string]*admissionregistrationv1.MutatingWebhookConfiguration) []pulumi.Resource {
	out := make([]pulumi.Resource, 0, len(tags))
	for _, tag := range slices.Sorted(maps.Keys(tags)) { // a stable order
		out = append(out, tags[tag])
	}
	return out
}
