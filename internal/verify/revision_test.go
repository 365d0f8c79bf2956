package verify

import (
	"context"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// tagWebhook is a revision tag's injection webhook configuration, pointing at revision.
func tagWebhook(tag, revision string) *admissionregistrationv1.MutatingWebhookConfiguration {
	return &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{
		Name:   components.RevisionTagWebhookName(tag, testIstio),
		Labels: map[string]string{components.RevisionLabel: revision, components.RevisionTagLabel: tag},
	}}
}

// onRevision is the stack's objects with the app namespace selecting
// selection and each hop's pod injected by the given revision.
func onRevision(selection string, revisions map[string]string, extra ...runtime.Object) []runtime.Object {
	objs := replace(healthyObjects(true), namespace(testNS, map[string]string{components.RevisionLabel: selection}))
	for hop, rev := range revisions {
		objs = replace(objs, withAnnotations(meshedPod(hop, 0, true, true, true), injectedBy(rev)))
	}
	return append(objs, extra...)
}

// renderedGatewayPod is a pod of the Deployment istiod's gateway
// controller renders for the Gateway API ingress, by revision: labeled as
// its template labels it, never injected.
func renderedGatewayPod(revision string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: testIstio, Name: "ingress-istio-0",
		Labels: map[string]string{
			components.GatewayNameLabel: components.KubernetesGatewayName,
			gatewayManagedLabel:         "istio.io-gateway-controller",
			"sidecar.istio.io/inject":   "false",
		},
		Annotations: map[string]string{components.RevisionLabel: revision},
	}}
}

func withAnnotations(p *corev1.Pod, a map[string]string) *corev1.Pod {
	p.Annotations = a
	return p
}

// TestRevisionChecks: with istio:revisions the app namespace selects the
// stack's revision directly or through a tag that points at it, and every
// injected workload runs on it; a workload left on the old revision after
// the tag moved fails, naming the revision it runs on.
func TestRevisionChecks(t *testing.T) {
	all := func(rev string) map[string]string { return map[string]string{"a": rev, "b": rev, "c": rev} }
	tests := []struct {
		name               string
		revision           string
		ingressAPI         components.IngressAPI
		objs               []runtime.Object
		check              string
		wantPass, wantFail string
	}{
		{name: "revision-less: the default revision", objs: healthyObjects(true), check: CheckRevisions, wantPass: "revision default: playground/service-a, playground/service-b, playground/service-c"},
		{name: "through a tag", revision: "canary", objs: onRevision("prod-stable", all("canary"), tagWebhook("prod-stable", "canary")), check: CheckInjection, wantPass: "istio.io/rev=prod-stable, a tag pointing at revision canary"},
		{name: "the revision itself", revision: "canary", objs: onRevision("canary", all("canary")), check: CheckInjection, wantPass: "istio.io/rev=canary"},
		{name: "a tag pointing elsewhere", revision: "canary", objs: onRevision("prod-stable", all("canary"), tagWebhook("prod-stable", "1-31-4")), check: CheckInjection, wantFail: "points at revision 1-31-4, not the stack's canary"},
		{name: "no such tag", revision: "canary", objs: onRevision("prod-stable", all("canary")), check: CheckInjection, wantFail: "neither the revision canary nor a tag"},
		{name: "every workload on the revision", revision: "canary", objs: onRevision("prod-stable", all("canary"), tagWebhook("prod-stable", "canary")), check: CheckRevisions, wantPass: "revision canary: playground/service-a"},
		{name: "a workload not rolled", revision: "canary", objs: onRevision("prod-stable", map[string]string{"a": "canary", "b": "1-31-4", "c": "canary"}, tagWebhook("prod-stable", "canary")),
			check: CheckRevisions, wantFail: "playground/service-b (pod service-b-0) runs on revision 1-31-4, the stack selects canary"},
		{name: "a pod without its sidecar", objs: replace(healthyObjects(true), meshedPod("c", 0, false, true)), check: CheckRevisions, wantFail: "playground/service-c (pod service-c-0) has no sidecar"},
		// The Gateway API's gateway is rendered by istiod, not injected.
		{name: "the Gateway API's gateway, rendered by the revision", ingressAPI: components.IngressAPIGateway, objs: append(healthyObjects(true), renderedGatewayPod("default")),
			check: CheckRevisions, wantPass: "revision default: istio-system/ingress, playground/service-a"},
		{name: "the Gateway API's gateway, rendered by another revision", revision: "canary", ingressAPI: components.IngressAPIGateway,
			objs:  append(onRevision("canary", all("canary")), renderedGatewayPod("1-31-4")),
			check: CheckRevisions, wantFail: "istio-system/ingress (pod ingress-istio-0) runs on revision 1-31-4, the stack selects canary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := testTarget
			target.IstiodRevision = tt.revision
			if tt.ingressAPI != "" {
				target.IngressAPI = tt.ingressAPI
			}
			r, err := Run(context.Background(), fakeCluster(tt.objs, virtualService("service-a", "gateway")), target, fastOptions)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := r.Result(tt.check)
			checkResult(t, tt.check, res, tt.wantFail, tt.wantPass)
		})
	}
	if got := TargetFromOutputs(map[string]interface{}{stackoutput.IstiodRevision: "canary"}).IstiodRevision; got != "canary" {
		t.Errorf("output istiodRevision read as %q", got)
	}
}
