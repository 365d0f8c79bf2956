package e2e

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// num reads a JSON number (float64 from Pulumi outputs, int64 from
// unstructured objects) as an int64; anything else is -1.
func num(v interface{}) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return -1
}

// checkWebServer: the tutorial's `kubectl get deployments -l app=webserver`
// shows 3/3 available, one ReplicaSet carries the pods, and the three nginx
// pods are Running and Ready on the real node.
func checkWebServer(t *testing.T, d *deployment) {
	deps := utils.Items(d.get(t, "deployments", "-n", appNamespace, "-l", "app=webserver"))
	if len(deps) != 1 || deps[0].GetName() != "webserver" {
		t.Fatalf("deployments -l app=webserver: %d, want only webserver", len(deps))
	}
	for _, f := range []string{"spec.replicas", "status.readyReplicas", "status.availableReplicas", "status.updatedReplicas"} {
		if got := num(utils.Field(deps[0].Object, f)); got != 3 {
			t.Errorf("webserver %s = %d, want 3", f, got)
		}
	}
	if out := d.run(t, "get", "deployments", "-n", appNamespace, "-l", "app=webserver", "--no-headers"); !regexp.MustCompile(`^webserver\s+3/3\s+3\s+3\s`).MatchString(out) {
		t.Errorf("kubectl get deployments -l app=webserver prints %q, want webserver 3/3 up-to-date 3 available 3", out)
	}

	var owned []unstructured.Unstructured
	for _, rs := range utils.Items(d.get(t, "replicasets", "-n", appNamespace, "-l", "app=nginx")) {
		for _, o := range rs.GetOwnerReferences() {
			if o.Kind == "Deployment" && o.Name == "webserver" {
				owned = append(owned, rs)
			}
		}
	}
	if len(owned) != 1 || num(utils.Field(owned[0].Object, "status.readyReplicas")) != 3 {
		t.Errorf("webserver's ReplicaSets: %d, want one with 3 ready", len(owned))
	}

	pods := livePods(t, d, appNamespace, "app=nginx")
	if len(pods) != 3 {
		t.Fatalf("pods -l app=nginx: %d, want 3", len(pods))
	}
	for _, p := range pods {
		ready := false
		conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
		for _, c := range conds {
			if utils.Field(c, "type") == "Ready" && utils.Field(c, "status") == "True" {
				ready = true
			}
		}
		if phase := utils.Field(p.Object, "status.phase"); phase != "Running" || !ready {
			t.Errorf("pod %s: phase %v, ready %v; want Running and Ready", p.GetName(), phase, ready)
		}
		if img, want := utils.Field(p.Object, "spec.containers.0.image"), d.output(stackoutput.WebServerImage); img != want {
			t.Errorf("pod %s runs %v, want %s (output webserverImage)", p.GetName(), img, want)
		}
	}
}

// checkWebServerService: webserver-svc is a NodePort in the node-port range,
// the stack's output says which, and its EndpointSlices hold the three pods.
func checkWebServerService(t *testing.T, d *deployment) {
	svc := d.get(t, "service", "webserver-svc", "-n", appNamespace)
	if typ := utils.Field(svc.Object, "spec.type"); typ != "NodePort" {
		t.Errorf("webserver-svc type %v, want NodePort", typ)
	}
	nodePort := num(utils.Field(svc.Object, "spec.ports.0.nodePort"))
	if nodePort < 30000 || nodePort > 32767 {
		t.Errorf("webserver-svc nodePort %d, want 30000-32767", nodePort)
	}
	if out := num(d.outputs[stackoutput.WebServerNodePort].Value); out != nodePort {
		t.Errorf("output webserverNodePort %d, the Service has %d", out, nodePort)
	}

	podIPs := map[string]bool{}
	for _, p := range livePods(t, d, appNamespace, "app=nginx") {
		podIPs[fmt.Sprint(utils.Field(p.Object, "status.podIP"))] = true
	}
	// The EndpointSlice controller follows the Service, created at the
	// end of up, on its own time: wait for it rather than race it.
	var ready []string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		ready = nil
		for _, s := range utils.Items(d.get(t, "endpointslices", "-n", appNamespace, "-l", "kubernetes.io/service-name=webserver-svc")) {
			eps, _, _ := unstructured.NestedSlice(s.Object, "endpoints")
			for _, ep := range eps {
				if utils.Field(ep, "conditions.ready") == true {
					ready = append(ready, fmt.Sprint(utils.Field(ep, "addresses.0")))
				}
			}
		}
		if len(ready) == 3 || time.Now().After(deadline) {
			break
		}
	}
	if len(ready) != 3 {
		t.Fatalf("webserver-svc has %d ready endpoints (%v), want the 3 pods %v", len(ready), ready, podIPs)
	}
	for _, ip := range ready {
		if !podIPs[ip] {
			t.Errorf("webserver-svc endpoint %s is none of the pods %v", ip, podIPs)
		}
	}
}

// checkHelmReleases: each release's Helm record (the secret
// sh.helm.release.v1.<release>.v<revision> in istio-system) says deployed,
// and istioRevisions reports the revisions; istiodRevision is istiod's.
func checkHelmReleases(t *testing.T, d *deployment, istiodRevision int64) {
	revisions, _ := d.outputs[stackoutput.IstioRevisions].Value.(map[string]interface{})
	for chart, release := range helmReleases {
		want := int64(1)
		if chart == "istiod" {
			want = istiodRevision
		}
		ns := istioNamespace
		if chart == "cni" {
			ns = cniNamespace
		}
		secret := d.get(t, "secret", fmt.Sprintf("sh.helm.release.v1.%s.v%d", release, want), "-n", ns)
		labels := secret.GetLabels()
		if labels["status"] != "deployed" || labels["owner"] != "helm" || labels["name"] != release {
			t.Errorf("release %s v%d: labels %v, want status=deployed owner=helm name=%s", release, want, labels, release)
		}
		if got := num(revisions[chart]); got != want {
			t.Errorf("output istioRevisions[%s] = %d, want %d", chart, got, want)
		}
	}
}

// checkRouting: the Gateway binds the ingress gateway and the VirtualService
// sends its traffic to the chain's entry, service-a:8000.
func checkRouting(t *testing.T, d *deployment) {
	gw := d.get(t, "gateways.networking.istio.io", "gateway", "-n", appNamespace)
	if sel := utils.Field(gw.Object, "spec.selector.istio"); sel != "ingressgateway" {
		t.Errorf("Gateway selects istio=%v, want ingressgateway", sel)
	}
	if port := num(utils.Field(gw.Object, "spec.servers.0.port.number")); port != 80 {
		t.Errorf("Gateway listens on %d, want 80", port)
	}
	vs := d.get(t, "virtualservices.networking.istio.io", "virtual-service", "-n", appNamespace)
	gateways, _, _ := unstructured.NestedStringSlice(vs.Object, "spec", "gateways")
	if !slices.Contains(gateways, "gateway") {
		t.Errorf("VirtualService gateways %v, want gateway", gateways)
	}
	dest := utils.Field(vs.Object, "spec.http.0.route.0.destination")
	if utils.Field(dest, "host") != "service-a" || num(utils.Field(dest, "port.number")) != 8000 {
		t.Errorf("VirtualService routes to %s, want service-a:8000", utils.JSON(dest))
	}
	svc := d.get(t, "service", "service-a", "-n", appNamespace)
	if port := num(utils.Field(svc.Object, "spec.ports.0.port")); port != 8000 {
		t.Errorf("service-a port %d, want 8000", port)
	}
}

// checkOutputs: ingressUrl is the node port of the ingress gateway's
// Service on the configured host, and jaegerPortForward is a kubectl
// command whose target exists and forwards to Jaeger's UI.
func checkOutputs(t *testing.T, d *deployment) {
	if got := d.output(stackoutput.IngressURL); got != "http://127.0.0.1:31380" {
		t.Errorf("ingressUrl = %q, want http://127.0.0.1:31380", got)
	}
	ingress := d.get(t, "service", "istio-ingressgateway", "-n", istioNamespace)
	if typ, np := utils.Field(ingress.Object, "spec.type"), num(utils.Field(ingress.Object, "spec.ports.0.nodePort")); typ != "NodePort" || np != 31380 {
		t.Errorf("ingress gateway Service: %v node port %d, want NodePort 31380", typ, np)
	}

	pf := d.output(stackoutput.JaegerPortForward)
	m := regexp.MustCompile(`^kubectl -n (\S+) port-forward svc/(\S+) (\d+):(\d+)$`).FindStringSubmatch(pf)
	if m == nil {
		t.Fatalf("jaegerPortForward = %q, want kubectl -n <ns> port-forward svc/<name> <local>:<port>", pf)
	}
	ns, name, local, remote := m[1], m[2], m[3], m[4]
	svc := d.get(t, "service", name, "-n", ns)
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	found := false
	for _, p := range ports {
		if fmt.Sprint(num(utils.Field(p, "port"))) == remote {
			found = true
			if target := fmt.Sprint(num(utils.Field(p, "targetPort"))); target != local || local != "16686" {
				t.Errorf("svc/%s port %s forwards to %s, want Jaeger's UI 16686 (the local port %s)", name, remote, target, local)
			}
		}
	}
	if !found {
		t.Errorf("svc/%s in %s has no port %s", name, ns, remote)
	}
}

// imageChangeLoad is the requests a second sent during the image change.
const imageChangeLoad = 50

// checkImageChange: a new webserver:image is exactly one update (the
// Deployment) that drops no request under load, and `kubectl rollout
// history` shows both revisions with the change cause the stack records
// on the pod template.
func checkImageChange(t *testing.T, d *deployment) {
	initial := d.output(stackoutput.WebServerImage)
	if initial == changedImage {
		t.Fatalf("the stack already runs %s", changedImage)
	}
	d.setConfig(t, "webserver:image", changedImage)
	ops := d.previewOps(t)
	if len(ops) != 1 {
		t.Fatalf("changing webserver:image plans %d changes, want one: %v", len(ops), ops)
	}
	for urn, op := range ops {
		if !strings.HasSuffix(urn, "kubernetes:apps/v1:Deployment::webserver") || op != apitype.OpUpdate {
			t.Errorf("changing webserver:image plans %s on %s, want an update of the webserver Deployment", op, urn)
		}
	}
	// The tutorial's curl, 50 times a second on new connections, through
	// the NodePort while the pods roll and until the old ones have stopped.
	l := startLoad(webserverURL(d), imageChangeLoad)
	changes := d.up(t)
	waitGone(t, d, appNamespace, "app=nginx")
	sent, failures := l.stop()
	if changes["update"] != 1 || len(changes) != 2 {
		t.Errorf("up after the image change: %v, want one update, the rest same", changes)
	}
	t.Logf("during the rollout: %d requests, %d failed", sent, len(failures))
	if len(failures) > 0 {
		t.Errorf("the image change dropped %d of %d requests; the first: %q", len(failures), sent, failures[0])
	}
	history := d.run(t, "rollout", "history", "deployment/webserver", "-n", appNamespace)
	t.Logf("kubectl rollout history deployment/webserver:\n%s", strings.TrimSpace(history))
	for _, want := range []string{`(?m)^1\s+image ` + regexp.QuoteMeta(initial) + `\s*$`, `(?m)^2\s+image ` + regexp.QuoteMeta(changedImage) + `\s*$`} {
		if !regexp.MustCompile(want).MatchString(history) {
			t.Errorf("rollout history lacks %s:\n%s", want, history)
		}
	}
	if out := d.output(stackoutput.WebServerImage); out != changedImage {
		t.Errorf("output webserverImage = %q after the change, want %s", out, changedImage)
	}
	pods := livePods(t, d, appNamespace, "app=nginx")
	for _, p := range pods {
		if img := utils.Field(p.Object, "spec.containers.0.image"); img != changedImage {
			t.Errorf("after the rollout pod %s runs %v", p.GetName(), img)
		}
	}
}

// checkTracingToggle: switching tracing off upgrades the istiod release in
// place (revision 2, same Deployment object) and replaces nothing.
func checkTracingToggle(t *testing.T, d *deployment) {
	before := d.get(t, "deployment", "istiod", "-n", istioNamespace).GetUID()
	d.setConfig(t, "telemetry:tracing", "false")
	ops := d.previewOps(t)
	istiod := false
	for urn, op := range ops {
		if op != apitype.OpUpdate {
			t.Errorf("toggling tracing plans %s on %s; want only in-place updates", op, urn)
		}
		if strings.HasSuffix(urn, "kubernetes:helm.sh/v3:Release::istiod") {
			istiod = true
		}
	}
	if !istiod {
		t.Fatalf("toggling tracing does not update the istiod release: %v", ops)
	}
	var updated []string
	for urn := range ops {
		updated = append(updated, urn[strings.LastIndex(urn, "::")+2:])
	}
	slices.Sort(updated)
	t.Logf("toggling tracing updates in place: %s", strings.Join(updated, ", "))
	for op := range d.up(t) {
		if op != "update" && op != "same" {
			t.Errorf("up after toggling tracing did %s; want only updates", op)
		}
	}
	checkHelmReleases(t, d, 2)
	old := d.get(t, "secret", "sh.helm.release.v1.istiod.v1", "-n", istioNamespace)
	if status := old.GetLabels()["status"]; status != "superseded" {
		t.Errorf("istiod v1 status %q, want superseded", status)
	}
	if after := d.get(t, "deployment", "istiod", "-n", istioNamespace).GetUID(); after != before {
		t.Errorf("the istiod Deployment was replaced (uid %s -> %s)", before, after)
	}
}

// checkDestroyed: the stack's namespaces are gone with everything in them;
// cluster-wide only Istio's CRDs stay (helm.sh/resource-policy: keep).
func checkDestroyed(t *testing.T, d *deployment) {
	for _, ns := range []string{appNamespace, istioNamespace, cniNamespace} {
		deadline := time.Now().Add(time.Minute)
		for {
			out, err := d.kubectl.Run("get", "namespace", ns, "--ignore-not-found", "-o", "name")
			if err == nil && out == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("namespace %s still exists a minute after destroy", ns)
			}
			time.Sleep(500 * time.Millisecond)
		}
		kinds := strings.Fields(d.run(t, "api-resources", "--verbs=list", "--namespaced", "-o", "name"))
		if left := strings.TrimSpace(d.run(t, "get", strings.Join(kinds, ","), "-n", ns, "--ignore-not-found", "-o", "name")); left != "" {
			t.Errorf("left in %s after destroy:\n%s", ns, left)
		}
	}

	var kept []string
	for _, crd := range utils.Items(d.get(t, "customresourcedefinitions")) {
		if !strings.HasSuffix(crd.GetName(), ".istio.io") {
			t.Errorf("CRD %s left after destroy", crd.GetName())
			continue
		}
		if policy := crd.GetAnnotations()["helm.sh/resource-policy"]; policy != "keep" {
			t.Errorf("CRD %s left without helm.sh/resource-policy: keep (%q)", crd.GetName(), policy)
		}
		kept = append(kept, crd.GetName())
	}
	t.Logf("kept cluster-wide (helm.sh/resource-policy: keep): %d Istio CRDs: %s", len(kept), strings.Join(kept, " "))
	for _, name := range strings.Fields(d.run(t, "get", "clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name")) {
		if strings.Contains(name, "istio") || strings.Contains(name, "prometheus") {
			t.Errorf("%s left after destroy", name)
		}
	}
}

// checkBrokenProbe is the tutorial's broken probe: a readiness probe on port
// 88, where nothing listens, run by the real kubelet. `up` must fail within
// webserver:timeoutSeconds with the reason, while the old ReplicaSet keeps
// every pod available (maxUnavailable 0) and answering on the NodePort;
// restoring the probe recovers with a plain up.
func checkBrokenProbe(t *testing.T, d *deployment) {
	const timeout = 20
	d.setConfig(t, "webserver:timeoutSeconds", fmt.Sprint(timeout))
	d.setConfig(t, "webserver:readiness", `{"port": 88}`)
	start := time.Now()
	_, err := d.stack.Up(context.Background(), optup.ProgressStreams(d.progress))
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("up succeeded with a readiness probe that can never pass")
	}
	t.Logf("up failed after %s, as it should", elapsed.Round(100*time.Millisecond))
	// A hang, not a speed: without the spec's timeout the provider waits
	// 10 minutes for a Deployment.
	if elapsed > timeout*time.Second+5*time.Minute {
		t.Errorf("up took %s to give up; webserver:timeoutSeconds is %ds", elapsed, timeout)
	}
	msg := err.Error()
	if !strings.Contains(msg, "webserver") || !(strings.Contains(msg, "Ready") || strings.Contains(msg, "ready") || strings.Contains(msg, "timed out")) {
		t.Errorf("the failure does not name the Deployment and the readiness reason:\n%s", msg)
	}
	dep := d.get(t, "deployment", "webserver", "-n", appNamespace)
	if got := num(utils.Field(dep.Object, "status.availableReplicas")); got != 3 {
		t.Errorf("during the failed rollout %d pods are available, want all 3 of the old ReplicaSet", got)
	}
	// The old pods still serve: the NodePort answers during the failure.
	checkNginxOnNodePort(t, d)
	var unready int
	for _, p := range livePods(t, d, appNamespace, "app=nginx") {
		if num(utils.Field(p.Object, "spec.containers.0.readinessProbe.httpGet.port")) == 88 {
			unready++
		}
	}
	if unready == 0 {
		t.Errorf("no pod of the new ReplicaSet probes port 88: the broken rollout never started")
	}
	checkVerifySeesUnready(t, d)

	// Restore the working probe: the next up recovers without surgery.
	if err := d.stack.RemoveConfig(context.Background(), "webserver:readiness"); err != nil {
		t.Fatal(err)
	}
	if err := d.stack.RemoveConfig(context.Background(), "webserver:timeoutSeconds"); err != nil {
		t.Fatal(err)
	}
	d.up(t)
	dep = d.get(t, "deployment", "webserver", "-n", appNamespace)
	if got, want := num(utils.Field(dep.Object, "status.readyReplicas")), int64(3); got != want {
		t.Errorf("after restoring the probe %d pods are ready, want %d", got, want)
	}
}
