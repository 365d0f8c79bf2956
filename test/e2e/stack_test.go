package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The names the stack gives things (components/, Pulumi.sandbox.yaml).
const (
	appNamespace   = "playground"
	istioNamespace = "istio-system"
)

// changedImage is the webserver:image the update step switches to: the
// sandbox's nginx under its second tag (make tools builds it, sandbox up imports it),
// so the rollout's new pods really start.
var changedImage = playk8s.Version("SANDBOX_NGINX_UPDATE_IMAGE")

// toolboxImage runs lookups and requests inside the cluster (test/toolbox).
var toolboxImage = playk8s.Version("SANDBOX_TOOLBOX_IMAGE")

// helmReleases are the stack's Helm releases: chart -> release name.
var helmReleases = map[string]string{"base": "istio-base", "cni": "istio-cni", "istiod": "istiod", "gateway": "istio-ingressgateway"}

// cniNamespace holds istio-cni's privileged node agent, alone.
const cniNamespace = "istio-cni"

// deployment is one stack deployed to the sandbox: the engine, the scratch
// stack (its own work dir and backend: the repo's stack files and state are
// untouched) and kubectl.
type deployment struct {
	eng      *engine.Engine
	stack    auto.Stack
	kubectl  utils.Kubectl
	progress *utils.SyncBuffer
	outputs  auto.OutputMap
}

func newDeployment(t *testing.T, kubectl utils.Kubectl) *deployment {
	t.Helper()
	ctx := context.Background()
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	d := &deployment{kubectl: kubectl, progress: &utils.SyncBuffer{}}
	d.eng, err = engine.New(ctx, engine.Options{Root: root, StateDir: t.TempDir(), Progress: d.progress})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := layout.IstioModuleCharts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scratch, err := d.eng.NewScratch(ctx, "sandbox", map[string]auto.ConfigValue{
		"kubernetes:kubeconfig": {Value: kubectl.Kubeconfig},
		"istio:chartDir":        {Value: charts},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { scratch.Close() })
	d.stack = scratch.Stack
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("engine output:\n%s", d.progress.String())
		}
	})
	return d
}

// up runs an update and returns the operation counts.
func (d *deployment) up(t *testing.T) map[string]int {
	t.Helper()
	start := time.Now()
	res, err := d.stack.Up(context.Background(), optup.ProgressStreams(d.progress))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("up: %v in %s", *res.Summary.ResourceChanges, time.Since(start).Round(100*time.Millisecond))
	d.outputs = res.Outputs
	d.awaitRollouts(t)
	return *res.Summary.ResourceChanges
}

// awaitRollouts waits, as playk8s up does after the engine, until every
// workload is rolled out: the provider's awaiter can report a rollback's
// rollout done before it is (verify.RolledOut), and the checks after an
// up count what runs.
func (d *deployment) awaitRollouts(t *testing.T) {
	t.Helper()
	cluster, target := d.verifyTarget(t)
	r, err := verify.RolledOut(context.Background(), cluster, target, 5*time.Minute, time.Second)
	if len(r.Late) > 0 {
		t.Logf("still rolling out when up returned: %s; rolled out %s later", strings.Join(r.Late, "; "), r.Waited.Round(100*time.Millisecond))
	}
	if err != nil {
		t.Fatalf("after up: %v", err)
	}
}

// previewOps runs a preview and returns the operation per resource URN that is not "same".
func (d *deployment) previewOps(t *testing.T) map[string]apitype.OpType {
	t.Helper()
	ops, err := utils.PlannedChanges(context.Background(), d.stack)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	return ops
}

// setConfig changes one config value for the rest of the test.
func (d *deployment) setConfig(t *testing.T, key, value string) {
	t.Helper()
	if err := d.stack.SetConfig(context.Background(), key, auto.ConfigValue{Value: value}); err != nil {
		t.Fatal(err)
	}
}

func (d *deployment) output(name string) string {
	return fmt.Sprint(d.outputs[name].Value)
}

// get is kubectl get -o json, failing the test on error.
func (d *deployment) get(t *testing.T, args ...string) *unstructured.Unstructured {
	t.Helper()
	obj, err := d.kubectl.Get(args...)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func (d *deployment) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := d.kubectl.Run(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStackOnSandbox is the stack's life on the sandbox, in order: up, what
// a user would check with kubectl, a clean second preview, config changes
// that are one in-place update each, destroy. Steps share the deployment,
// so a failed step stops the rest (t.Fatal in a subtest stops only it; the
// later steps check the earlier ones passed).
func TestStackOnSandbox(t *testing.T) {
	kubectl := sandbox(t)
	for _, ns := range []string{appNamespace, istioNamespace, cniNamespace} {
		if out, _ := kubectl.Run("get", "namespace", ns, "--ignore-not-found", "-o", "name"); out != "" {
			t.Fatalf("namespace %s exists: the sandbox is not fresh (make sandbox-down sandbox)", ns)
		}
	}
	d := newDeployment(t, kubectl)
	foreign := createForeignNamespace(t, d)
	t.Cleanup(func() { kubectl.Run("delete", "namespace", foreignNamespace, "--ignore-not-found") })
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			// Leave the sandbox as we found it even when a step failed.
			if _, err := d.stack.Destroy(context.Background(), optdestroy.ProgressStreams(d.progress)); err != nil {
				t.Logf("cleanup destroy: %v", err)
			}
		}
	})

	step := func(name string, f func(t *testing.T)) {
		if t.Failed() {
			t.Logf("skipping %q: an earlier step failed", name)
			return
		}
		t.Run(name, f)
	}

	step("up", func(t *testing.T) {
		if changes := d.up(t); changes["create"] == 0 || len(changes) != 1 {
			t.Errorf("first up: %v, want only creates", changes)
		}
	})
	step("the cluster stays sealed in its network namespace", checkNetworkSealed)
	step("the supported-versions guard reads the sandbox's Kubernetes", func(t *testing.T) { checkVersionGuard(t, d) })
	step("webserver deployment", func(t *testing.T) { checkWebServer(t, d) })
	step("webserver service", func(t *testing.T) { checkWebServerService(t, d) })
	step("helm releases", func(t *testing.T) { checkHelmReleases(t, d, 1) })
	step("gateway and virtual service", func(t *testing.T) { checkRouting(t, d) })
	step("app namespace injection label", func(t *testing.T) {
		// No Envoy exists here: the sandbox stack turns Envoy's injection
		// off (istio:sidecarInjection: false), and its proxyless hops ask
		// for theirs by their own label, which a namespace labeled
		// disabled would refuse them: no label at all.
		ns := d.get(t, "namespace", appNamespace)
		if got, ok := ns.GetLabels()["istio-injection"]; ok {
			t.Errorf("namespace %s istio-injection = %q, want no label", appNamespace, got)
		}
	})
	step("telemetry samples 100%", func(t *testing.T) {
		tel := d.get(t, "telemetries.telemetry.istio.io", "mesh-default", "-n", istioNamespace)
		if got := utils.Field(tel.Object, "spec.tracing.0.randomSamplingPercentage"); got != 100.0 && got != int64(100) {
			t.Errorf("Telemetry mesh-default samples %v%%, want 100; spec %s", got, utils.JSON(tel.Object["spec"]))
		}
	})
	step("outputs", func(t *testing.T) { checkOutputs(t, d) })
	// The tutorial on real pods.
	step("nginx answers on its NodePort from the host", func(t *testing.T) { checkNginxOnNodePort(t, d) })
	step("the chain answers through its Services, with env-var discovery", func(t *testing.T) { checkChainThroughServices(t, d) })
	step("DNS discovery from a pod, through CoreDNS", func(t *testing.T) { checkDNSFromPod(t, d) })
	step("one trace through every hop in Jaeger", func(t *testing.T) { checkTraceInJaeger(t, d) })
	step("Prometheus scrapes istiod once and every hop", func(t *testing.T) { checkPrometheusScrapesHops(t, d) })
	step("istiod's webhooks judge and inject for real", func(t *testing.T) {
		checkValidationIsLive(t, d)
		checkInjectionIsLive(t, d)
	})
	step("kubectl logs and exec reach the pods", func(t *testing.T) { checkLogsAndExec(t, d) })
	step("make verify: real checks pass, what needs Envoy is skipped", func(t *testing.T) { checkVerify(t, d) })
	step("pod security enforced per namespace", func(t *testing.T) { checkPodSecurity(t, d) })
	step("mTLS, authorization and network policies", func(t *testing.T) { checkMeshPolicies(t, d) })
	step("the proxyless mesh refuses plaintext and callers the policies do not name", func(t *testing.T) { checkProxylessEnforcement(t, d) })
	step("a hop's ALLOW removed breaks exactly its caller's call, up --refresh heals it", func(t *testing.T) { checkAllowRemovedBreaksOneHop(t, d) })
	step("traffic management by config on the proxyless data plane: versions, a header match, weights, an abort, a timeout; one up each", func(t *testing.T) { checkTrafficManagement(t, d) })
	step("the chain's transport switches to http and back, one up each", func(t *testing.T) { checkTransportSwitch(t, d) })
	step("second preview is clean", func(t *testing.T) {
		if ops := d.previewOps(t); len(ops) != 0 {
			t.Errorf("a second preview after up plans changes: %v", ops)
		}
	})
	step("image change is one update with its change cause", func(t *testing.T) { checkImageChange(t, d) })
	step("tracing toggle upgrades istiod in place", func(t *testing.T) { checkTracingToggle(t, d) })
	step("a failing liveness probe: the kubelet's events and restarts", func(t *testing.T) { checkLivenessProbe(t, d) })
	step("a never-ready rollout fails up and keeps the old pods", func(t *testing.T) { checkBrokenProbe(t, d) })
	step("a refused config changes neither state nor cluster", func(t *testing.T) { checkRefusedConfigChangesNothing(t, d) })
	step("a namespace the stack did not create is refused, never taken over", func(t *testing.T) { checkForeignNamespaceRefused(t, d, foreign) })
	step("drift is seen by preview --refresh and repaired by up --refresh", func(t *testing.T) { checkDriftRepaired(t, d) })
	step("the ingress switches to the Kubernetes Gateway API and back, one up each", func(t *testing.T) { checkGatewayAPIIngress(t, d) })
	step("a canary upgrade by revision: adopt, add, move the tag, remove, back; one up each", func(t *testing.T) { checkCanaryUpgrade(t, d) })
	step("an unreachable cluster or refused credentials stop up before it starts", func(t *testing.T) { checkClusterAccessRefused(t, d) })
	step("destroy", func(t *testing.T) {
		start := time.Now()
		if _, err := d.stack.Destroy(context.Background(), optdestroy.ProgressStreams(d.progress)); err != nil {
			t.Fatalf("destroy: %v", err)
		}
		destroyed = true
		t.Logf("destroy in %s", time.Since(start).Round(100*time.Millisecond))
		checkDestroyed(t, d)
		checkForeignUntouched(t, d, foreign)
	})
	step("the cluster stays sealed after destroy", checkNetworkSealed)
	step("a killed up is recovered by the next up", func(t *testing.T) { checkKilledUpRecovers(t, kubectl.Kubeconfig) })
	step("the user's shell: pulumi config set, up, rollout and stack history, pulumi cancel", func(t *testing.T) { checkUserShell(t, kubectl.Kubeconfig) })
}
