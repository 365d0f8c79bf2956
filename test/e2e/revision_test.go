package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// The canary tag the drill moves, and a namespace labeled with it where
// dry-run pods show which revision the tag's webhook injects.
const (
	canaryTag    = "prod-stable"
	tagNamespace = "e2e-revision-tag"
)

// setRevisions sets the three revision keys as a user edits the stack
// file; revisions nil removes all three (the revision-less install).
func setRevisions(t *testing.T, d *deployment, revisions []string, target string) {
	t.Helper()
	keys := []string{"istio:revisions", "istio:revisionTags", "istio:appRevision"}
	if revisions == nil {
		if err := d.stack.RemoveAllConfig(context.Background(), keys); err != nil {
			t.Fatal(err)
		}
		return
	}
	var list []string
	for _, r := range revisions {
		list = append(list, `{"name": "`+r+`"}`)
	}
	d.setConfig(t, keys[0], "["+strings.Join(list, ", ")+"]")
	d.setConfig(t, keys[1], `{"`+canaryTag+`": "`+target+`"}`)
	d.setConfig(t, keys[2], canaryTag)
}

// byName is a preview's operations keyed "<Kind>/<name>".
func byName(ops map[string]apitype.OpType) map[string]apitype.OpType {
	out := map[string]apitype.OpType{}
	for urn, op := range ops {
		typ, name := urnTypeName(urn)
		out[typ[strings.LastIndex(typ, ":")+1:]+"/"+name] = op
	}
	return out
}

// checkPlan fails the test unless the preview plans exactly want.
func checkPlan(t *testing.T, step string, ops map[string]apitype.OpType, want map[string]apitype.OpType) {
	t.Helper()
	got := byName(ops)
	for k, op := range want {
		if got[k] != op {
			t.Errorf("%s: the preview plans %q for %s, want %s", step, got[k], k, op)
		}
	}
	for k, op := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: the preview also plans %s of %s", step, op, k)
		}
	}
}

// injectorRecord is the revision Istio's injector recorded in a pod's
// annotations (verify's reading of them), "" for none or an unreadable one.
func injectorRecord(annotations map[string]string) string {
	rev, _ := verify.InjectedRevision(annotations)
	return rev
}

// checkRevisionRuns: the revision's istiod is what serves the tag now,
// for real: its webhook configuration carries the caBundle istiod patched
// in (the stack leaves it out), a dry-run pod in a namespace selecting the
// tag is injected by that revision, the ingress gateway's running pods
// were injected by it, the output and `make verify` say so, and a preview
// after the up is clean.
func checkRevisionRuns(t *testing.T, d *deployment, revision string) {
	t.Helper()
	if got := d.output(stackoutput.IstiodRevision); got != revision {
		t.Errorf("output istiodRevision = %q, want %s", got, revision)
	}
	d.run(t, "-n", istioNamespace, "rollout", "status", "deployment/"+components.IstiodReleaseName(revision), "--timeout=2m")
	webhook := components.RevisionTagWebhookName(canaryTag, istioNamespace)
	var bundle string
	for deadline := time.Now().Add(time.Minute); bundle == "" && time.Now().Before(deadline); time.Sleep(time.Second) {
		bundle, _ = d.kubectl.Run("get", "mutatingwebhookconfiguration", webhook, "-o", "jsonpath={.webhooks[0].clientConfig.caBundle}")
	}
	if bundle == "" {
		t.Errorf("%s has no caBundle a minute after up: istiod %s did not patch the tag's webhook", webhook, revision)
	}

	out := d.run(t, "run", "injected", "-n", tagNamespace, "--image="+toolboxImage, "--restart=Never", "--dry-run=server", "-o", "json", "--", "lookup", "x")
	var pod struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(out), &pod); err != nil {
		t.Fatal(err)
	}
	if got := injectorRecord(pod.Metadata.Annotations); got != revision {
		t.Errorf("a dry-run pod in a namespace labeled %s=%s was injected by revision %q, want %s", components.RevisionLabel, canaryTag, got, revision)
	}

	// The gateway's pods were rolled by the up (their revision annotation
	// changed); the old ones may still be shutting down.
	selector := components.IngressGatewaySelector(components.IngressAPIIstio)
	var pods []string
	allOnRevision := false
	for deadline := time.Now().Add(2 * time.Minute); !allOnRevision && time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		pods, allOnRevision = nil, true
		for _, p := range livePods(t, d, istioNamespace, selector) {
			got := injectorRecord(p.GetAnnotations())
			pods = append(pods, p.GetName()+" ("+got+")")
			allOnRevision = allOnRevision && got == revision
		}
		allOnRevision = allOnRevision && len(pods) > 0
	}
	if !allOnRevision {
		t.Errorf("the ingress gateway's pods are not all injected by revision %s: %v", revision, pods)
	}
	if d.output("chainTransport") == string(components.ChainTransportGRPC) {
		for _, hop := range hopNames(d) {
			for _, p := range livePods(t, d, appNamespace, "app="+components.HopServiceName(hop)) {
				if got := injectorRecord(p.GetAnnotations()); got != revision {
					t.Errorf("proxyless hop pod %s injected by revision %q, want %s", p.GetName(), got, revision)
				}
			}
		}
		chainAnswer(t, d, time.Minute, "the chain on revision "+revision, chainWorks)
	}

	report := runVerify(t, d, verify.Options{})
	if res, _ := report.Result(verify.CheckRevisions); res.Status != verify.StatusPass || !strings.Contains(res.Detail, "revision "+revision+": istio-system/istio-ingressgateway") {
		t.Errorf("verify %q: %s %q, want PASS naming revision %s", verify.CheckRevisions, res.Status, res.Detail, revision)
	}
	if len(report.Failed()) > 0 {
		t.Errorf("verify failed on revision %s: %+v", revision, report.Failed())
	}
	if ops := d.previewOps(t); len(ops) != 0 {
		t.Errorf("a preview after the up on revision %s plans changes: %v", revision, ops)
	}
}

// checkCanaryUpgrade is Istio's canary upgrade as config changes on the
// running stack, each one up whose preview plans exactly that step: adopt
// revisions (istiod as revision r1 behind the tag), add the canary r2,
// move the tag (the gateway rolls onto r2), remove r1, and back to the
// revision-less istiod. The real istiod of each revision serves the tag,
// patches its webhook and injects through it; its validation judges the
// Istio resources once the tag moved.
func checkCanaryUpgrade(t *testing.T, d *deployment) {
	const r1, r2 = "r1", "r2"
	tag := "MutatingWebhookConfiguration/" + components.RevisionTagWebhookName(canaryTag, istioNamespace)
	release := func(name string) string { return "Release/" + name }
	base, gateway := release(components.ReleaseName(components.IstioChartBase)), release(components.GatewayReleaseName)
	revisionless := release(components.ReleaseName(components.IstioChartIstiod))
	steps := []struct {
		name      string
		revisions []string
		target    string
		plan      map[string]apitype.OpType
		runsOn    string
	}{
		{"adopt revisions", []string{r1}, r1, map[string]apitype.OpType{
			release("istiod-" + r1): apitype.OpCreate, tag: apitype.OpCreate, revisionless: apitype.OpDelete,
			base: apitype.OpUpdate, gateway: apitype.OpUpdate,
		}, r1},
		{"add the canary", []string{r1, r2}, r1, map[string]apitype.OpType{release("istiod-" + r2): apitype.OpCreate}, r1},
		{"move the tag", []string{r1, r2}, r2, map[string]apitype.OpType{tag: apitype.OpUpdate, base: apitype.OpUpdate, gateway: apitype.OpUpdate}, r2},
		{"remove the old", []string{r2}, r2, map[string]apitype.OpType{release("istiod-" + r1): apitype.OpDelete}, r2},
		{"back to the revision-less istiod", nil, "", map[string]apitype.OpType{
			revisionless: apitype.OpCreate, release("istiod-" + r2): apitype.OpDelete, tag: apitype.OpDelete,
			base: apitype.OpUpdate, gateway: apitype.OpUpdate,
		}, ""},
	}
	// Proxyless hops are injected too: they roll (their revision
	// annotation, or their opt-in label, changes) wherever the gateway does.
	if d.output("chainTransport") == string(components.ChainTransportGRPC) {
		for i := range steps {
			if _, rolls := steps[i].plan[gateway]; rolls {
				for _, hop := range hopNames(d) {
					steps[i].plan["Deployment/"+components.HopServiceName(hop)] = apitype.OpUpdate
				}
			}
		}
	}
	// One namespace for every step: a deleted namespace lingers while it
	// terminates, and a new one of the same name is refused meanwhile.
	d.run(t, "create", "namespace", tagNamespace)
	defer func() { _, _ = d.kubectl.Run("delete", "namespace", tagNamespace, "--wait=false") }()
	d.run(t, "label", "namespace", tagNamespace, components.RevisionLabel+"="+canaryTag)
	for _, s := range steps {
		setRevisions(t, d, s.revisions, s.target)
		checkPlan(t, s.name, d.previewOps(t), s.plan)
		if t.Failed() {
			return
		}
		d.up(t)
		if s.runsOn != "" {
			checkRevisionRuns(t, d, s.runsOn)
		}
		if s.name == "move the tag" {
			// The cluster-wide validation now calls the canary.
			checkValidationIsLive(t, d)
		}
		if t.Failed() {
			return
		}
	}
	checkValidationIsLive(t, d)
	checkInjectionIsLive(t, d)
	if ops := d.previewOps(t); len(ops) != 0 {
		t.Errorf("a preview after returning to the revision-less istiod plans changes: %v", ops)
	}
}
