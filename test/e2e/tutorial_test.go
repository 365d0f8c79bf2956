package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The tutorial's steps that need pods that really run: probes, traffic
// through Services and NodePorts, DNS, logs and exec.

// httpGet fetches url from the host, retrying for a while: a NodePort is
// mirrored on 127.0.0.1 within a second of its Service, a port-forward
// takes a moment to open.
func httpGet(t *testing.T, url string, within time.Duration) (int, string) {
	t.Helper()
	return httpFetch(t, url, within, func(status int) bool { return status < 500 })
}

// httpAnswer is the first complete HTTP answer of url, whatever its
// status, retrying while the port-forward opens.
func httpAnswer(t *testing.T, url string, within time.Duration) (int, string) {
	t.Helper()
	return httpFetch(t, url, within, func(int) bool { return true })
}

// httpFetch GETs url until an answer's status is accepted or within ends.
func httpFetch(t *testing.T, url string, within time.Duration, accept func(status int) bool) (int, string) {
	t.Helper()
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && accept(resp.StatusCode) {
				return resp.StatusCode, string(body)
			}
			err = fmt.Errorf("status %s, read %v", resp.Status, rerr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// webserverURL is the web server's NodePort as the host sees it: the
// sandbox mirrors every NodePort on 127.0.0.1, as minikube's node address
// would serve it (the tutorial's curl 192.168.99.100:30248).
func webserverURL(d *deployment) string {
	return fmt.Sprintf("http://127.0.0.1:%d/", num(d.outputs[stackoutput.WebServerNodePort].Value))
}

// checkNginxOnNodePort: the tutorial's curl of the NodePort returns nginx's
// welcome page, served by a real nginx pod behind a real kube-proxy rule.
func checkNginxOnNodePort(t *testing.T, d *deployment) {
	status, body := httpGet(t, webserverURL(d), time.Minute)
	if status != http.StatusOK || !strings.Contains(body, "<title>Welcome to nginx!</title>") {
		t.Errorf("GET %s: %d, want nginx's welcome page; got:\n%.300s", webserverURL(d), status, body)
	}
}

// portForward runs `kubectl port-forward` with the given arguments (a
// local port of 0 picks a free one) and returns the local base URL; the
// forward stops with the test.
func portForward(t *testing.T, kubectl utils.Kubectl, args ...string) string {
	t.Helper()
	bin, err := utils.KubectlBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kubectl.Kubeconfig, "port-forward"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr utils.SyncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`^Forwarding from 127\.0\.0\.1:(\d+) ->`).FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
	}()
	select {
	case port := <-ready:
		return "http://127.0.0.1:" + port
	case <-time.After(30 * time.Second):
		t.Fatalf("kubectl port-forward %s did not start: %s", strings.Join(args, " "), stderr.String())
	}
	return ""
}

// hopAnswer is sample-app's JSON (the tutorial's contract).
type hopAnswer struct {
	ServiceType string  `json:"SERVICE_TYPE"`
	ServiceHost *string `json:"SERVICE_HOST"`
	ServicePort *string `json:"SERVICE_PORT"`
	DNSName     string  `json:"DNS_NAME"`
}

func hopNames(d *deployment) []string {
	raw, _ := d.outputs[stackoutput.ChainHops].Value.([]interface{})
	var hops []string
	for _, h := range raw {
		hops = append(hops, fmt.Sprint(h))
	}
	return hops
}

// checkChainThroughServices: through a port-forward to service-a, /service
// returns the last hop's JSON (A called B called C through their
// Services, by DNS name), and each hop's own / reports the env-var
// discovery values of its Service.
func checkChainThroughServices(t *testing.T, d *deployment) {
	hops := hopNames(d)
	if len(hops) < 2 {
		t.Fatalf("output chainHops = %v", hops)
	}
	first, last := hops[0], hops[len(hops)-1]
	base := portForward(t, d.kubectl, "-n", appNamespace, "svc/service-"+first, "0:8000")
	status, body := httpGet(t, base+"/service", time.Minute)
	var answer hopAnswer
	if err := json.Unmarshal([]byte(body), &answer); status != http.StatusOK || err != nil {
		t.Fatalf("GET service-%s/service: %d %v:\n%s", first, status, err, body)
	}
	if answer.ServiceType != strings.ToUpper(last) {
		t.Errorf("service-%s/service answered SERVICE_TYPE %q, want the last hop's %q: %s", first, answer.ServiceType, strings.ToUpper(last), body)
	}
	for _, hop := range hops {
		svc := d.get(t, "service", "service-"+hop, "-n", appNamespace)
		ip := fmt.Sprint(utils.Field(svc.Object, "spec.clusterIP"))
		port := fmt.Sprint(num(utils.Field(svc.Object, "spec.ports.0.port")))
		base := portForward(t, d.kubectl, "-n", appNamespace, "svc/service-"+hop, "0:8000")
		_, body := httpGet(t, base+"/", time.Minute)
		var own hopAnswer
		if err := json.Unmarshal([]byte(body), &own); err != nil {
			t.Fatalf("service-%s/: %v: %s", hop, err, body)
		}
		if own.ServiceHost == nil || *own.ServiceHost != ip || own.ServicePort == nil || *own.ServicePort != port {
			t.Errorf("service-%s/ reports SERVICE_HOST/PORT %v/%v, want its Service's %s/%s (Kubernetes' env-var discovery): %s",
				hop, deref(own.ServiceHost), deref(own.ServicePort), ip, port, body)
		}
		if want := fmt.Sprintf("service-%s.%s.svc.cluster.local", hop, appNamespace); own.DNSName != want {
			t.Errorf("service-%s/ reports DNS_NAME %q, want %q", hop, own.DNSName, want)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// toolboxPod runs the sandbox's toolbox image (lookup, get) once in a
// scratch namespace and returns its output.
func toolboxPod(t *testing.T, d *deployment, name string, args ...string) string {
	t.Helper()
	const ns = "e2e-toolbox"
	if out, _ := d.kubectl.Run("get", "namespace", ns, "--ignore-not-found", "-o", "name"); out == "" {
		d.run(t, "create", "namespace", ns)
		t.Cleanup(func() { _, _ = d.kubectl.Run("delete", "namespace", ns, "--wait=false") })
	}
	d.run(t, append([]string{"run", name, "-n", ns, "--image=" + toolboxImage, "--restart=Never", "--"}, args...)...)
	deadline := time.Now().Add(time.Minute)
	for {
		phase := strings.TrimSpace(d.run(t, "get", "pod", name, "-n", ns, "-o", "jsonpath={.status.phase}"))
		if phase == "Succeeded" || phase == "Failed" {
			logs := d.run(t, "logs", name, "-n", ns)
			if phase == "Failed" {
				t.Fatalf("toolbox %v failed:\n%s", args, logs)
			}
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("toolbox pod %s still %s after a minute", name, phase)
		}
		time.Sleep(time.Second)
	}
}

// checkDNSFromPod: from a pod, service-a's cluster DNS name resolves to its
// ClusterIP through CoreDNS (the tutorial's service discovery by DNS), and
// with the http transport CoreDNS logged the chain's own lookups of the
// next hops.
func checkDNSFromPod(t *testing.T, d *deployment) {
	hops := hopNames(d)
	name := fmt.Sprintf("service-%s.%s.svc.cluster.local", hops[0], appNamespace)
	svc := d.get(t, "service", "service-"+hops[0], "-n", appNamespace)
	ip := fmt.Sprint(utils.Field(svc.Object, "spec.clusterIP"))
	out := toolboxPod(t, d, "lookup", "lookup", name)
	if !strings.Contains(out, "Address: "+ip+"\n") {
		t.Errorf("lookup %s from a pod:\n%s\nwant its ClusterIP %s", name, out, ip)
	}
	checkHopsLookedUpByDNS(t, d)
}

// checkHopsLookedUpByDNS: CoreDNS logged the chain's own lookups of its
// next hops (the http transport's discovery).
func checkHopsLookedUpByDNS(t *testing.T, d *deployment) {
	hops := hopNames(d)
	if tr := d.output("chainTransport"); tr != "http" {
		// Proxyless hops resolve xds:/// targets through istiod (EDS):
		// the chain asks CoreDNS nothing (checkTransportSwitch runs this
		// check again over http).
		t.Logf("chain:transport %s: the hops find each other through istiod, not DNS", tr)
		return
	}
	logs := d.run(t, "logs", "-n", "kube-system", "deploy/coredns")
	for _, hop := range hops[1:] {
		if q := fmt.Sprintf("service-%s.%s.svc.cluster.local.", hop, appNamespace); !strings.Contains(logs, q) {
			t.Errorf("CoreDNS never answered %s: the chain did not find its next hop by DNS", q)
		}
	}
}

// livePods are the pods of a label selector in a namespace that are not
// on their way out. `up` returns when a rollout is complete, while the old
// ReplicaSet's pods may still be shutting down (a deletionTimestamp, then
// phase Succeeded or Failed): every check of what the stack runs after an
// up counts the live pods only, so none depends on how fast they go.
func livePods(t *testing.T, d *deployment, namespace, selector string) []unstructured.Unstructured {
	t.Helper()
	var live []unstructured.Unstructured
	for _, p := range utils.Items(d.get(t, "pods", "-n", namespace, "-l", selector)) {
		phase := utils.Field(p.Object, "status.phase")
		if p.GetDeletionTimestamp() == nil && phase != "Succeeded" && phase != "Failed" {
			live = append(live, p)
		}
	}
	return live
}

// checkLivenessProbe is the tutorial's `kubectl describe pod` of a
// liveness probe on port 88: the kubelet reports the probe's real failure
// and restarts the container; removing the setting recovers.
func checkLivenessProbe(t *testing.T, d *deployment) {
	d.setConfig(t, "webserver:liveness", `{"port": 88}`)
	// The rollout may finish before the first restart (readiness passes at
	// once) or see it: either is the tutorial's experience, so up's own
	// outcome is not the point; the kubelet's events are.
	if _, err := d.stack.Up(context.Background()); err != nil {
		t.Logf("up with liveness on 88: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	var restarts int64
	var message string
	for time.Now().Before(deadline) && (restarts == 0 || message == "") {
		restarts = 0
		for _, p := range livePods(t, d, appNamespace, "app=nginx") {
			restarts += num(utils.Field(p.Object, "status.containerStatuses.0.restartCount"))
		}
		events := utils.Items(d.get(t, "events", "-n", appNamespace, "--field-selector", "reason=Unhealthy"))
		for _, e := range events {
			if m := fmt.Sprint(e.Object["message"]); strings.Contains(m, "Liveness probe failed") && strings.Contains(m, ":88/") {
				message = m
			}
		}
		time.Sleep(2 * time.Second)
	}
	if message == "" || !strings.Contains(message, "connection refused") {
		t.Errorf("no kubelet event 'Liveness probe failed: ... :88/ ... connection refused' (got %q)", message)
	}
	if restarts == 0 {
		t.Errorf("no web server container was restarted by its failing liveness probe")
	}
	t.Logf("kubelet: %s; %d restarts", message, restarts)

	if err := d.stack.RemoveConfig(context.Background(), "webserver:liveness"); err != nil {
		t.Fatal(err)
	}
	d.up(t)
	for _, p := range livePods(t, d, appNamespace, "app=nginx") {
		if n := num(utils.Field(p.Object, "status.containerStatuses.0.restartCount")); n != 0 {
			t.Errorf("after restoring the probe pod %s restarted %d times", p.GetName(), n)
		}
	}
	checkNginxOnNodePort(t, d)
}

// checkInjectionIsLive: the sidecar injector runs in istiod for real: a
// server-side dry run of a pod in a namespace labeled for injection comes
// back with the istio-proxy container (the sandbox's own app namespace has
// injection off, since no Envoy image exists to run it).
func checkInjectionIsLive(t *testing.T, d *deployment) {
	const ns = "e2e-injection"
	d.run(t, "create", "namespace", ns)
	defer func() { _, _ = d.kubectl.Run("delete", "namespace", ns, "--wait=false") }()
	d.run(t, "label", "namespace", ns, "istio-injection=enabled")
	out := d.run(t, "run", "injected", "-n", ns, "--image="+toolboxImage, "--restart=Never", "--dry-run=server", "-o", "json", "--", "lookup", "x")
	var pod struct {
		Spec struct {
			InitContainers []struct{ Name string } `json:"initContainers"`
			Containers     []struct{ Name string } `json:"containers"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &pod); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range append(pod.Spec.InitContainers, pod.Spec.Containers...) {
		names = append(names, c.Name)
	}
	if !strings.Contains(" "+strings.Join(names, " ")+" ", " istio-proxy ") {
		t.Errorf("a dry-run pod in an injected namespace has containers %v, want istio-proxy added by istiod's injector", names)
	}
	if label, ok := d.get(t, "namespace", appNamespace).GetLabels()["istio-injection"]; ok {
		t.Errorf("the sandbox's app namespace is labeled istio-injection=%q, want no label (its proxyless hops opt in by pod label)", label)
	}
}

// checkValidationIsLive: istiod's validation webhook judges Istio
// resources: an invalid VirtualService is refused with istiod's reason.
func checkValidationIsLive(t *testing.T, d *deployment) {
	bad := `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"invalid","namespace":"` + appNamespace + `"},` +
		`"spec":{"hosts":["*"],"http":[{"route":[{"destination":{"host":""}}]}]}}`
	bin, err := utils.KubectlBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--kubeconfig", d.kubectl.Kubeconfig, "create", "--dry-run=server", "-f", "-")
	cmd.Stdin = strings.NewReader(bad)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "validation.istio.io") {
		t.Errorf("an invalid VirtualService was not refused by istiod's webhook (err %v):\n%s", err, out)
	}
}

// checkLogsAndExec: `kubectl logs` and `kubectl exec` reach the pods, as
// in the tutorial: nginx's access log holds the requests made through the
// NodePort, and a command runs inside a web server container.
func checkLogsAndExec(t *testing.T, d *deployment) {
	httpGet(t, webserverURL(d), time.Minute)
	logs := d.run(t, "logs", "-n", appNamespace, "-l", "app=nginx", "--tail=-1", "--prefix")
	if !strings.Contains(logs, `"GET / HTTP/1.1" 200`) {
		t.Errorf("kubectl logs of the web server shows no request to /:\n%.500s", logs)
	}
	// nginx -t checks the running configuration inside the container; a
	// failing exec fails the test.
	d.run(t, "exec", "-n", appNamespace, "deploy/webserver", "--", "/usr/sbin/nginx", "-e", "stderr", "-t")
}

// runOutputCommand starts a kubectl command the stack prints as an output
// (jaegerPortForward, prometheusPortForward), exactly as a user pastes it,
// with the pinned kubectl and the sandbox's kubeconfig; it stops with the test.
func runOutputCommand(t *testing.T, d *deployment, output string) {
	t.Helper()
	args := strings.Fields(d.output(output))
	if len(args) < 2 || args[0] != "kubectl" {
		t.Fatalf("output %s = %q, want a kubectl command", output, d.output(output))
	}
	bin, err := utils.KubectlBinary()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", d.kubectl.Kubeconfig}, args[1:]...)...)
	var out utils.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", d.output(output), out.String())
		}
	})
}

// checkTraceInJaeger: requests through the chain become one trace in the
// real Jaeger, with spans of every hop linked parent to child, read through
// the stack's own jaegerPortForward command (the tutorial's kubectl
// port-forward to 16686).
func checkTraceInJaeger(t *testing.T, d *deployment) {
	base := portForward(t, d.kubectl, "-n", appNamespace, "svc/service-"+hopNames(d)[0], "0:8000")
	for range 5 {
		httpGet(t, base+"/service", time.Minute)
	}
	runOutputCommand(t, d, stackoutput.JaegerPortForward)
	jaeger := strings.TrimSuffix(d.output(stackoutput.JaegerURL), "/")
	httpGet(t, jaeger+"/api/services", time.Minute)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		detail, err := verify.TraceThroughHops(context.Background(), http.DefaultClient, jaeger, hopNames(d))
		if err == nil {
			t.Logf("jaeger: %s", detail)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger: %v", err)
		}
		time.Sleep(3 * time.Second)
	}
}

// checkPrometheusScrapesHops: the real Prometheus, through the stack's
// prometheusPortForward command, scrapes every hop's pod (up == 1) and has
// counted requests at each, and scrapes istiod once per pod under the
// labels Istio's control plane dashboard selects by.
func checkPrometheusScrapesHops(t *testing.T, d *deployment) {
	runOutputCommand(t, d, stackoutput.PrometheusPortForward)
	m := regexp.MustCompile(` (\d+):\d+$`).FindStringSubmatch(d.output(stackoutput.PrometheusPortForward))
	if m == nil {
		t.Fatalf("%s = %q: no local port", stackoutput.PrometheusPortForward, d.output(stackoutput.PrometheusPortForward))
	}
	base := "http://127.0.0.1:" + m[1]
	httpGet(t, base+"/-/ready", time.Minute)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		hops, err := verify.HopsScraped(context.Background(), base, appNamespace, hopNames(d))
		var istiod string
		if err == nil {
			istiod, err = verify.IstiodScraped(context.Background(), base, istioNamespace)
		}
		if err == nil {
			t.Logf("prometheus: %s; %s", hops, istiod)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus: %v", err)
		}
		time.Sleep(3 * time.Second)
	}
}
