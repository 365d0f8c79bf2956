package e2e

// The proxyless gRPC data plane on the sandbox (chain:transport: grpc,
// the sandbox stack's default): what the stack's mTLS, authorization and
// routing objects do once a real data plane reads them from the real
// istiod. Probe pods are sample-app hops of the test's own, configured to
// call one hop of the chain: injected with another identity, or not
// injected at all (plaintext).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
)

// sampleAppImage is the chain's image, which the probes run too.
var sampleAppImage = playk8s.Version("SANDBOX_SAMPLE_APP_IMAGE")

// hopTarget is the proxyless target of a chain hop's gRPC port.
func hopTarget(hop string) string {
	return fmt.Sprintf("xds:///service-%s.%s.svc.cluster.local:8001", hop, appNamespace)
}

// probe is one probe pod: a sample-app hop named SERVICE_TYPE=<name>
// whose next hop is next.
type probe struct {
	name, namespace, serviceAccount, next string
	// injected asks istiod for the grpc-agent template, as the chain's
	// hops do; without it the probe calls in plaintext.
	injected bool
}

// manifest is the probe's Pod, restricted like the chain's pods.
func (p probe) manifest() map[string]interface{} {
	restricted := map[string]interface{}{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
		"capabilities": map[string]interface{}{"drop": []string{"ALL"}}}
	containers := []interface{}{map[string]interface{}{
		"name": "sample-app", "image": sampleAppImage, "imagePullPolicy": "Never",
		"env": []map[string]string{
			{"name": "SERVICE_TYPE", "value": p.name}, {"name": "TRANSPORT", "value": "grpc"},
			{"name": "NEXT", "value": p.next}, {"name": "DRAIN_DELAY", "value": "0s"},
			{"name": "GRPC_XDS_DIRECT", "value": fmt.Sprint(p.injected)},
		},
		// /healthz, not /readyz: no Service selects a probe, so istiod sends
		// its gRPC server no listener and it never serves (nor needs to).
		"readinessProbe":  map[string]interface{}{"httpGet": map[string]interface{}{"path": "/healthz", "port": 8000}, "periodSeconds": 1},
		"securityContext": restricted,
	}}
	meta := map[string]interface{}{"name": p.name, "namespace": p.namespace, "labels": map[string]string{"app": p.name}}
	if p.injected {
		meta["labels"] = map[string]string{"app": p.name, "sidecar.istio.io/inject": "true"}
		meta["annotations"] = components.ProxylessPodAnnotations()
		agent := map[string]interface{}{"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsUser": components.SidecarUID, "runAsGroup": components.SidecarUID,
			"capabilities": map[string]interface{}{"drop": []string{"ALL"}}}
		containers = append(containers, map[string]interface{}{"name": "istio-proxy", "image": "auto", "imagePullPolicy": "IfNotPresent", "securityContext": agent})
	}
	spec := map[string]interface{}{
		"containers": containers, "restartPolicy": "Never", "automountServiceAccountToken": false,
		"securityContext": map[string]interface{}{"runAsNonRoot": true, "runAsUser": components.SampleAppUID, "runAsGroup": components.SampleAppUID,
			"seccompProfile": map[string]string{"type": "RuntimeDefault"}},
	}
	if p.serviceAccount != "" {
		spec["serviceAccountName"] = p.serviceAccount
	}
	return map[string]interface{}{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
}

// kubectlApply applies obj (JSON) with the sandbox's kubeconfig.
func kubectlApply(t *testing.T, d *deployment, obj interface{}) {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := utils.KubectlBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--kubeconfig", d.kubectl.Kubeconfig, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(string(raw))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s\n%s", err, out, raw)
	}
}

// startProbes creates the probes and waits until each is Ready, deleting
// them when the test ends.
func startProbes(t *testing.T, d *deployment, probes ...probe) {
	t.Helper()
	for _, p := range probes {
		kubectlApply(t, d, p.manifest())
		t.Cleanup(func() { _, _ = d.kubectl.Run("delete", "pod", p.name, "-n", p.namespace, "--wait=false") })
	}
	for _, p := range probes {
		if out, err := d.kubectl.Run("wait", "--for=condition=Ready", "pod/"+p.name, "-n", p.namespace, "--timeout=120s"); err != nil {
			desc, _ := d.kubectl.Run("describe", "pod", p.name, "-n", p.namespace)
			t.Fatalf("probe %s not ready: %v %s\n%s", p.name, err, out, desc)
		}
	}
}

// callThrough is GET /service on a pod's HTTP port: the pod's call to its
// next hop, answered in sample-app's JSON.
func callThrough(t *testing.T, d *deployment, namespace, target string) (int, string) {
	t.Helper()
	base := portForward(t, d.kubectl, "-n", namespace, target, "0:8000")
	return httpAnswer(t, base+"/service", time.Minute)
}

// refusal is sample-app's error answer, as far as these checks read it.
type refusal struct {
	Error      string   `json:"error"`
	Hop        string   `json:"hop"`
	GRPCCode   string   `json:"grpc_code"`
	Downstream *refusal `json:"downstream"`
}

// deepest is the innermost error in a chain of nested answers: where the
// chain broke.
func (r refusal) deepest() refusal {
	for r.Downstream != nil && r.Downstream.Hop != "" {
		r = *r.Downstream
	}
	return r
}

// checkProxylessEnforcement: under the stack's STRICT PeerAuthentication
// and allow-nothing plus per-hop ALLOW, enforced by the hops' own gRPC
// servers: a caller without mesh credentials is refused at the TLS
// handshake; callers with a mesh identity the policies do not name (an
// injected pod of another ServiceAccount calling the middle hop; the last
// hop's identity calling the first) are denied PERMISSION_DENIED; the
// chain's own calls pass (checkChainThroughServices).
func checkProxylessEnforcement(t *testing.T, d *deployment) {
	const plainNS = "e2e-plaintext"
	d.run(t, "create", "namespace", plainNS)
	t.Cleanup(func() { _, _ = d.kubectl.Run("delete", "namespace", plainNS, "--wait=false") })
	d.run(t, "create", "serviceaccount", "e2e-intruder", "-n", appNamespace)
	t.Cleanup(func() { _, _ = d.kubectl.Run("delete", "serviceaccount", "e2e-intruder", "-n", appNamespace) })

	plaintext := probe{name: "e2e-plaintext", namespace: plainNS,
		next: fmt.Sprintf("dns:///service-b.%s.svc.cluster.local:8001", appNamespace)}
	intruder := probe{name: "e2e-intruder", namespace: appNamespace, serviceAccount: "e2e-intruder", next: hopTarget("b"), injected: true}
	lastToFirst := probe{name: "e2e-last-to-first", namespace: appNamespace, serviceAccount: "service-c", next: hopTarget("a"), injected: true}
	startProbes(t, d, plaintext, intruder, lastToFirst)

	for _, p := range []probe{intruder, lastToFirst} {
		pod := d.get(t, "pod", p.name, "-n", p.namespace)
		if pod.GetAnnotations()["sidecar.istio.io/status"] == "" {
			t.Errorf("probe %s was not injected by istiod (no sidecar.istio.io/status)", p.name)
		}
	}
	tests := []struct {
		p        probe
		wantCode string
		wantText string
	}{
		// Plaintext against STRICT: the server wants a TLS handshake.
		{plaintext, "Unavailable", ""},
		{intruder, "PermissionDenied", "did not match an allow policy"},
		{lastToFirst, "PermissionDenied", "did not match an allow policy"},
	}
	for _, tt := range tests {
		status, body := callThrough(t, d, tt.p.namespace, "pod/"+tt.p.name)
		var got refusal
		_ = json.Unmarshal([]byte(body), &got)
		if status != http.StatusBadGateway || got.GRPCCode != tt.wantCode || !strings.Contains(got.Error, tt.wantText) {
			t.Errorf("%s calling %s: %d %s, want 502 with grpc_code %s (%q)", tt.p.name, tt.p.next, status, body, tt.wantCode, tt.wantText)
			continue
		}
		t.Logf("%s calling %s: refused as it must be: %s", tt.p.name, tt.p.next, got.Error)
	}
}

// chainAnswer polls the first hop's /service until done accepts the
// answer, and returns it.
func chainAnswer(t *testing.T, d *deployment, within time.Duration, what string, done func(status int, body string) bool) (int, string) {
	t.Helper()
	base := portForward(t, d.kubectl, "-n", appNamespace, "svc/service-a", "0:8000")
	deadline := time.Now().Add(within)
	for {
		status, body := httpAnswer(t, base+"/service", time.Minute)
		if done(status, body) {
			return status, body
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the chain still answers %d %s; want %s", within, status, body, what)
		}
		time.Sleep(time.Second)
	}
}

// chainWorks accepts the last hop's answer.
func chainWorks(status int, body string) bool {
	return status == http.StatusOK && strings.Contains(body, `"SERVICE_TYPE":"C"`)
}

// brokenAt accepts an error answer whose innermost failure is hop's, with
// code and text.
func brokenAt(hop, code, text string) func(int, string) bool {
	return func(status int, body string) bool {
		var r refusal
		if status == http.StatusOK || json.Unmarshal([]byte(body), &r) != nil {
			return false
		}
		in := r.deepest()
		return in.Hop == hop && in.GRPCCode == code && strings.Contains(in.Error, text)
	}
}

// checkAllowRemovedBreaksOneHop: with service-c's ALLOW rule deleted
// behind the stack's back, exactly the call into C is denied (B names
// it; A and B still answer for themselves), and up --refresh restores
// the rule, which heals the chain.
func checkAllowRemovedBreaksOneHop(t *testing.T, d *deployment) {
	d.run(t, "delete", "authorizationpolicy", "service-c", "-n", appNamespace)
	_, body := chainAnswer(t, d, time.Minute, "B's call to C denied", brokenAt("B", "PermissionDenied", "allow policy"))
	t.Logf("without service-c's ALLOW: %s", body)
	for _, hop := range []string{"a", "b", "c"} {
		base := portForward(t, d.kubectl, "-n", appNamespace, "svc/service-"+hop, "0:8000")
		if status, body := httpGet(t, base+"/", time.Minute); status != http.StatusOK {
			t.Errorf("service-%s/ answers %d %s: a denied call into C broke more than that call", hop, status, body)
		}
	}
	if _, err := d.stack.Up(context.Background(), optup.Refresh(), optup.ProgressStreams(d.progress)); err != nil {
		t.Fatalf("up --refresh: %v", err)
	}
	d.get(t, "authorizationpolicy", "service-c", "-n", appNamespace)
	chainAnswer(t, d, time.Minute, "the chain healed", chainWorks)
	if ops := d.previewOps(t); len(ops) != 0 {
		t.Errorf("after up --refresh restored the rule, a preview plans %v", ops)
	}
}

// checkTransportSwitch: chain:transport http, then grpc again, is one up
// each with a clean preview after; over http the hops are 1/1 and the
// chain answers as the tutorial's.
func checkTransportSwitch(t *testing.T, d *deployment) {
	for _, tr := range []components.ChainTransport{components.ChainTransportHTTP, components.ChainTransportGRPC} {
		d.setConfig(t, "chain:transport", string(tr))
		d.up(t)
		if ops := d.previewOps(t); len(ops) != 0 {
			t.Errorf("after the up to %s a preview plans %v", tr, ops)
		}
		wantContainers := 1
		if tr == components.ChainTransportGRPC {
			wantContainers = 2
		}
		for _, hop := range hopNames(d) {
			for _, p := range livePods(t, d, appNamespace, "app=service-"+hop) {
				if n := len(utils.Field(p.Object, "spec.containers").([]interface{})); n != wantContainers {
					t.Errorf("%s with %s: %d containers, want %d", p.GetName(), tr, n, wantContainers)
				}
			}
		}
		chainAnswer(t, d, time.Minute, "the chain over "+string(tr), chainWorks)
		if tr == components.ChainTransportHTTP {
			checkHopsLookedUpByDNS(t, d) // the hops' own lookups, which grpc does not make
		}
		if got := d.output("chainTransport"); got != string(tr) {
			t.Errorf("output chainTransport = %q after the switch to %s", got, tr)
		}
	}
}
