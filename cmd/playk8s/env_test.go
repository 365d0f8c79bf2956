package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/shellenv"
)

func TestEnvLines(t *testing.T) {
	root := t.TempDir()
	l := engine.NewLayout(engine.Options{Root: root, BackendURL: "file://" + root + "/.state/backend"})
	public := engine.Passphrase{Source: engine.PassphrasePublic, File: filepath.Join(l.StateDir, "public-passphrase")}
	generated := engine.Passphrase{Source: engine.PassphraseGenerated, File: filepath.Join(l.StateDir, "passphrase")}
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name    string
		stack   string
		pass    engine.Passphrase
		getenv  func(string) string
		want    []string
		wantNot []string
	}{
		{"sandbox", "sandbox", public, env("PATH", "/usr/bin"),
			[]string{
				shellenv.PrependPath(filepath.Dir(l.CLI), filepath.Dir(l.Kubectl)),
				"export PULUMI_HOME='" + l.PulumiHome + "'",
				"export PULUMI_BACKEND_URL='file://" + root + "/.state/backend'",
				"export PULUMI_SKIP_UPDATE_CHECK='true'",
				"unset PULUMI_CONFIG_PASSPHRASE",
				"export PULUMI_CONFIG_PASSPHRASE_FILE='" + public.File + "'",
				"export KUBECONFIG='" + l.SandboxKubeconfig() + "'",
			},
			[]string{engine.PublicPassphrase}},
		{"dev, generated passphrase, after the sandbox's env", "dev", generated, env("PATH", "/usr/bin", "KUBECONFIG", l.SandboxKubeconfig()),
			[]string{"export PULUMI_CONFIG_PASSPHRASE_FILE='" + generated.File + "'", "unset KUBECONFIG"},
			[]string{"unset PULUMI_CONFIG_PASSPHRASE", "export KUBECONFIG"}},
		{"prod with the user's passphrase and kubeconfig", "prod", engine.Passphrase{Source: engine.PassphraseFromUser}, env("PATH", "/usr/bin", "KUBECONFIG", "/home/u/.kube/prod"),
			[]string{"# the passphrase: yours (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE), as make up uses it"},
			[]string{"PULUMI_CONFIG_PASSPHRASE", "KUBECONFIG"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := strings.Join(envLines(l, tc.stack, tc.pass, tc.getenv), "\n") + "\n"
			for _, w := range tc.want {
				if !strings.Contains(out, w+"\n") {
					t.Errorf("lacks the line %s:\n%s", w, out)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasPrefix(line, "# ") {
					continue // comments may name anything
				}
				if !strings.HasPrefix(line, "export ") && !strings.HasPrefix(line, "unset ") && !strings.HasPrefix(line, `case "$PATH" in `) {
					t.Errorf("not a shell export, unset, PATH prepend or comment: %q", line)
				}
				for _, w := range tc.wantNot {
					if strings.Contains(line, w) {
						t.Errorf("the line %q has %q", line, w)
					}
				}
			}
		})
	}
}

// TestEnvLinesEval has a real shell evaluate the lines, as
// `eval "$(make -s env)"` does, from a checkout whose path needs quoting.
func TestEnvLinesEval(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	root := filepath.Join(t.TempDir(), "a checkout's dir")
	l := engine.NewLayout(engine.Options{Root: root, BackendURL: "file://" + root + "/.state/backend"})
	pass := engine.Passphrase{Source: engine.PassphrasePublic, File: filepath.Join(l.StateDir, "public-passphrase")}
	lines := envLines(l, "sandbox", pass, os.Getenv)
	script := strings.Join(lines, "\n") + "\n" + `printf '%s\n' "${PATH%%:*}" "$PULUMI_HOME" "$KUBECONFIG" "${PULUMI_CONFIG_PASSPHRASE-unset}" "$PULUMI_CONFIG_PASSPHRASE_FILE"; command -v sh >/dev/null && echo "PATH still finds sh"`
	cmd := exec.Command(sh, "-c", script)
	cmd.Env = append(os.Environ(), "PULUMI_CONFIG_PASSPHRASE=the user's")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := strings.Join([]string{filepath.Dir(l.CLI), l.PulumiHome, l.SandboxKubeconfig(), "unset", pass.File, "PATH still finds sh"}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("the shell read\n%s\nwant\n%s", out, want)
	}
}
