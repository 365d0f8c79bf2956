package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"k8s.io/client-go/tools/clientcmd"
)

// runVerify runs `make verify`'s checks against the deployed stack, as
// playk8s verify does, with the stack's own outputs.
func runVerify(t *testing.T, d *deployment, opts verify.Options) *verify.Report {
	t.Helper()
	cluster, target := d.verifyTarget(t)
	report, err := verify.Run(context.Background(), cluster, target, opts)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var out strings.Builder
	if err := report.Write(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("verify:\n%s", out.String())
	return report
}

// checkVerify: on the sandbox every check that needs no Envoy runs for real
// and passes (workloads, endpoints, releases, routing; the chain at its
// first hop, the trace through every hop, every hop scraped); those that
// need Envoy are skipped and say why, never passed.
func checkVerify(t *testing.T, d *deployment) {
	report := runVerify(t, d, verify.Options{})
	want := map[string]verify.Status{
		verify.CheckInjection:    verify.StatusSkip, // istio:sidecarInjection: false
		verify.CheckDeployments:  verify.StatusPass,
		verify.CheckEndpoints:    verify.StatusPass,
		verify.CheckReleases:     verify.StatusPass,
		verify.CheckRouting:      verify.StatusPass,
		verify.CheckRevisions:    verify.StatusPass, // the gateway's pods, injected by the real istiod
		verify.CheckSidecars:     verify.StatusPass, // the hops' pilot-agent (chain:transport: grpc)
		verify.CheckMeshIdentity: verify.StatusPass, // their certificates from istiod
		verify.CheckChain:        verify.StatusSkip, // the gateway runs on the simulated node
		verify.CheckChainEntry:   verify.StatusPass,
		verify.CheckTrace:        verify.StatusPass,
		verify.CheckMetrics:      verify.StatusSkip, // istio_requests_total comes from sidecars
		verify.CheckScrapes:      verify.StatusPass,
		verify.CheckTrafficSplit: verify.StatusSkip, // no hop runs in versions (the traffic drill checks it with versions)
	}
	for _, res := range report.Results {
		w, ok := want[res.Name]
		if !ok {
			t.Errorf("verify ran %q, which this test does not know: add it", res.Name)
			continue
		}
		if res.Status != w {
			t.Errorf("%s check %q: %s (%s), want %s", res.Level, res.Name, res.Status, res.Detail, w)
		}
		delete(want, res.Name)
	}
	for name := range want {
		t.Errorf("verify did not run %q", name)
	}
}

// checkVerifySeesUnready: with a rollout stuck on never-ready pods, verify
// fails the deployments check and names the Deployment.
func checkVerifySeesUnready(t *testing.T, d *deployment) {
	// The rollout stays stuck: no point retrying for long.
	report := runVerify(t, d, verify.Options{APIWait: 3 * time.Second})
	res, ok := report.Result(verify.CheckDeployments)
	if !ok || res.Status != verify.StatusFail || !strings.Contains(res.Detail, appNamespace+"/webserver") {
		t.Errorf("verify during a stuck rollout: %+v, want %q to fail naming %s/webserver", res, verify.CheckDeployments, appNamespace)
	}
}

// verifyTarget is the sandbox as verify reaches it, and the deployed stack
// as verify reads it from the last up's outputs.
func (d *deployment) verifyTarget(t *testing.T) (*verify.Cluster, verify.Target) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", d.kubectl.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := verify.NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]interface{}{}
	for k, v := range d.outputs {
		values[k] = v.Value
	}
	return cluster, verify.TargetFromOutputs(values)
}
