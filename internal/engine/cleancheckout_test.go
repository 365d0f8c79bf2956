package engine

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
)

// TestCleanCheckoutStaysClean runs what a fresh clone's first `make up`
// and a user's `pulumi config set` do to the tracked Pulumi.sandbox.yaml,
// under the real CLI, in a copy of the project: creating the stack must
// leave the file byte for byte as committed (git status clean), and a
// value set with the CLI, plain or secret, must be what both readers of
// the file see, stackfile (the engine's validation and preflight) and the
// Automation API (the program's config), without a salt written again.
// It needs the pinned CLI and provider (make tools) and skips without.
func TestCleanCheckoutStaysClean(t *testing.T) {
	root := projectRoot(t)
	cli, provider := layout.New(root).PulumiCLI(), layout.New(root).Provider()
	for _, p := range []string{cli, provider} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not built (make tools)", p)
		}
	}
	work := t.TempDir()
	for _, name := range []string{"Pulumi.yaml", "Pulumi.sandbox.yaml"} {
		raw, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, ".tools"), filepath.Join(work, ".tools")); err != nil {
		t.Fatal(err)
	}
	// A user's own passphrase in the environment: the committed salt opens
	// only with the published one, which must win.
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "a user's own passphrase")
	t.Setenv("PULUMI_BACKEND_URL", "")
	ctx := context.Background()
	eng, err := New(ctx, Options{Root: work})
	if err != nil {
		t.Fatal(err)
	}
	stackFile := filepath.Join(work, "Pulumi.sandbox.yaml")
	committed, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}

	s, err := eng.Stack(ctx, "sandbox", work)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Stack(ctx, "sandbox", work); err != nil { // every later run selects it
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(stackFile); !bytes.Equal(now, committed) {
		t.Fatalf("creating the stack changed the tracked stack file:\n%s", now)
	}

	// The user's shell after `eval "$(make -s env)"`: the pinned CLI, this
	// engine's settings, the passphrase as a file, theirs unset.
	pass, err := eng.Layout().PassphraseFor(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	if pass.Source != PassphrasePublic {
		t.Fatalf("the sandbox's passphrase is %v, want the published one", pass.Source)
	}
	pulumi := func(args ...string) string {
		cmd := exec.Command(cli, args...)
		cmd.Dir = work
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "PULUMI_CONFIG_PASSPHRASE=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		for k, v := range eng.Layout().CLIEnv() {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Env = append(cmd.Env, "PULUMI_CONFIG_PASSPHRASE_FILE="+pass.File)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := pulumi("stack", "ls"); !strings.Contains(out, "sandbox") {
		t.Errorf("pulumi stack ls does not list the stack:\n%s", out)
	}
	pulumi("config", "set", "webserver:replicas", "2", "-s", "sandbox")
	pulumi("config", "set", "--secret", "telemetry:grafanaAdminPassword", "not-secret-here", "-s", "sandbox")

	salt, err := stackfile.EncryptionSalt(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := stackfile.EncryptionSalt(filepath.Join(root, "Pulumi.sandbox.yaml")); salt != want {
		t.Errorf("pulumi config set rewrote the salt: %q, committed %q", salt, want)
	}
	values, secure, err := stackfile.LoadWithSecrets(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	if values["webserver:replicas"] != "2" || len(secure) != 1 || secure[0] != "telemetry:grafanaAdminPassword" {
		t.Errorf("stackfile reads replicas %q and secure keys %v after pulumi config set", values["webserver:replicas"], secure)
	}
	replicas, err := s.GetConfig(ctx, "webserver:replicas")
	if err != nil || replicas.Value != "2" {
		t.Errorf("the Automation API reads webserver:replicas %+v, %v; want what pulumi config set wrote", replicas, err)
	}
	password, err := s.GetConfig(ctx, "telemetry:grafanaAdminPassword")
	if err != nil || password.Value != "not-secret-here" || !password.Secret {
		t.Errorf("the Automation API reads the secret as %+v, %v", password, err)
	}
	raw, _ := os.ReadFile(stackFile)
	if i, j := bytes.Index(raw, []byte("\nencryptionsalt:")), bytes.Index(raw, []byte("\nconfig:")); i < 0 || j < i {
		t.Errorf("after pulumi config set, encryptionsalt is no longer above config:\n%s", raw)
	}
}
