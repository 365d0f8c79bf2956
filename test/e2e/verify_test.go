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
	report, err := verify.Run(context.Background(), cluster, verify.TargetFromOutputs(values), opts)
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

// checkVerify: on the sandbox every API-level check passes and every
// data-plane check is skipped as simulated, never reported as passed.
func checkVerify(t *testing.T, d *deployment) {
	report := runVerify(t, d, verify.Options{})
	if !report.Simulated {
		t.Error("verify did not notice the sandbox's nodes are simulated")
	}
	for _, res := range report.Results {
		want := verify.StatusPass
		if res.Level == verify.LevelDataPlane {
			want = verify.StatusSkip
		}
		if res.Status != want {
			t.Errorf("%s check %q: %s (%s), want %s", res.Level, res.Name, res.Status, res.Detail, want)
		}
	}
	if len(report.Results) < 9 {
		t.Errorf("verify ran %d checks, want the 5 API-level and 4 data-plane ones", len(report.Results))
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
