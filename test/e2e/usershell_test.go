package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/recovery"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// checkUserShell is the tutorial's image change as a user types it, in a
// shell that evaluated the README's one-liner (eval "$(make -s env)";
// here `playk8s env`, which make runs): the pinned kubectl and pulumi are
// the ones on PATH, `pulumi config set` changes what the next `make up`
// deploys, kubectl's rollout history gains the revision and pulumi's stack
// history lists both updates. Then an up killed mid-run is released with
// `pulumi cancel` and the next up goes through.
func checkUserShell(t *testing.T, kubeconfig string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cli := newCLIStack(t, kubeconfig, "e2e-user-shell")
	// Where `playk8s env` points KUBECONFIG for the sandbox stack.
	link := layout.New(cli.scratch.Dir()).SandboxState().Kubeconfig()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(kubeconfig, link); err != nil {
		t.Fatal(err)
	}
	run := func(what string, out []byte, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	// shell returns the script's stdout; stderr is shown on failure.
	shell := func(script string) string {
		t.Helper()
		var stderr strings.Builder
		cmd := cli.shell(ctx, script)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s%s", script, err, out, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	up := func() string {
		t.Helper()
		out, err := cli.playk8s(ctx, "up").CombinedOutput()
		return run("playk8s up", out, err)
	}
	defer func() {
		if out, err := cli.playk8s(ctx, "destroy").CombinedOutput(); err != nil {
			t.Errorf("playk8s destroy: %v\n%s", err, out)
		}
	}()
	up()
	// The same stack, previewed the standard way from Pulumi.yaml.
	checkStandardPath(t, cli, shell)

	// The pinned tools are the shell's.
	if got := shell(`kubectl version --client -o json | grep -o '"gitVersion": *"[^"]*"'`); !strings.Contains(got, playk8s.Version("K8S_VERSION")) {
		t.Errorf("kubectl on the shell's PATH is %s, want the pinned %s", got, playk8s.Version("K8S_VERSION"))
	}
	if got := shell(`pulumi version`); got != playk8s.Version("PULUMI_CLI_VERSION") {
		t.Errorf("pulumi on the shell's PATH is %s, want the pinned %s", got, playk8s.Version("PULUMI_CLI_VERSION"))
	}
	if got := shell(`pulumi stack --show-name`); got != "sandbox" {
		t.Errorf("the shell's current stack is %q, want sandbox", got)
	}

	// The tutorial's image change, through the CLI.
	if got := shell(`pulumi config set webserver:image ` + changedImage + ` && pulumi config get webserver:image`); got != changedImage {
		t.Errorf("pulumi config get webserver:image = %q after setting %s", got, changedImage)
	}
	up()
	if got := shell(`kubectl -n ` + appNamespace + ` get deployment webserver -o jsonpath='{.spec.template.spec.containers[0].image}'`); got != changedImage {
		t.Errorf("after pulumi config set and up, webserver runs %q, want %s", got, changedImage)
	}
	history := shell(`kubectl -n ` + appNamespace + ` rollout history deployment/webserver`)
	if revisions := strings.Count(history, "\n") - 1; revisions < 2 {
		t.Errorf("kubectl rollout history lists %d revisions after the image change, want 2:\n%s", revisions, history)
	}
	if got := shell(`pulumi stack output webserverImage`); got != changedImage {
		t.Errorf("pulumi stack output webserverImage = %q, want %s", got, changedImage)
	}
	var updates []struct {
		Kind   string `json:"kind"`
		Result string `json:"result"`
	}
	if err := json.Unmarshal([]byte(shell(`pulumi stack history --json`)), &updates); err != nil {
		t.Fatal(err)
	}
	succeeded := 0
	for _, u := range updates {
		if u.Kind == "update" && u.Result == "succeeded" {
			succeeded++
		}
	}
	if succeeded != 2 {
		t.Errorf("pulumi stack history lists %d succeeded updates, want 2: %+v", succeeded, updates)
	}

	// A secret set with --secret is stored encrypted, and the stack's
	// reader refuses it by name without showing it (Grafana is off here).
	const secret = "e2e-not-in-the-file"
	shell(`pulumi config set --secret telemetry:grafanaAdminPassword ` + secret)
	if file, err := os.ReadFile(filepath.Join(cli.scratch.Dir(), "Pulumi.sandbox.yaml")); err != nil || strings.Contains(string(file), secret) || !strings.Contains(string(file), "secure:") {
		t.Errorf("pulumi config set --secret did not store the value encrypted (%v):\n%s", err, file)
	}
	if got := shell(`pulumi config get telemetry:grafanaAdminPassword`); got != secret {
		t.Errorf("pulumi config get of the secret = %q", got)
	}
	refused, err := cli.playk8s(ctx, "preview").CombinedOutput()
	if err == nil || !strings.Contains(string(refused), "telemetry:grafanaAdminPassword") || strings.Contains(string(refused), secret) {
		t.Errorf("preview with a Grafana password but no Grafana: err %v, want a refusal naming the key, never the value:\n%s", err, refused)
	}
	shell(`pulumi config rm telemetry:grafanaAdminPassword`)

	// A run killed while it holds the stack's lock, released by pulumi cancel.
	shell(`pulumi config set webserver:image ` + playk8s.Version("SANDBOX_NGINX_IMAGE"))
	killed := cli.playk8s(ctx, "up")
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	locked := false
	for deadline := time.Now().Add(5 * time.Minute); !locked && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		locks, _ := recovery.FindLocks(cli.scratch.BackendURL(), engine.ProjectName, "sandbox")
		locked = len(locks) > 0
	}
	utils.KillTree(killed.Process.Pid)
	_ = killed.Wait()
	if !locked {
		t.Fatal("the up never took the stack's lock within 5 minutes")
	}
	if locks, _ := recovery.FindLocks(cli.scratch.BackendURL(), engine.ProjectName, "sandbox"); len(locks) == 0 {
		t.Fatal("no lock is left after the kill: the drill did not interrupt a run")
	}
	shell(`pulumi cancel --yes`)
	if locks, err := recovery.FindLocks(cli.scratch.BackendURL(), engine.ProjectName, "sandbox"); err != nil || len(locks) != 0 {
		t.Errorf("pulumi cancel left locks %v (%v)", locks, err)
	}
	if out := up(); strings.Contains(out, "removed the lock of a killed run") {
		t.Errorf("the up after pulumi cancel still found the killed run's lock:\n%s", out)
	}
	if got := shell(`kubectl -n ` + appNamespace + ` get deployment webserver -o jsonpath='{.spec.template.spec.containers[0].image}'`); got != playk8s.Version("SANDBOX_NGINX_IMAGE") {
		t.Errorf("after the cancelled run and the next up, webserver runs %q", got)
	}
}
