package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretOverrides: a secret override's value comes from the
// environment or a file, never from the command line, and no refusal
// prints the value.
func TestSecretOverrides(t *testing.T) {
	const secret = "s3cr3t-value"
	dir := t.TempDir()
	files := map[string]string{"pw": secret + "\n", "pw-crlf": secret + "\r\n", "empty": "\n"}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GRAFANA_PASSWORD", secret)
	t.Setenv("EMPTY_PASSWORD", "")
	os.Unsetenv("UNSET_PASSWORD")
	const key = "telemetry:grafanaAdminPassword"
	cases := []struct {
		name string
		args []string
		// want are the refusal's words; none: accepted, the key set to secret.
		want []string
	}{
		{"from the environment", []string{"-set-secret-env", key + "=GRAFANA_PASSWORD"}, nil},
		{"from a file", []string{"-set-secret-file", key + "=" + filepath.Join(dir, "pw")}, nil},
		{"from a file with a CRLF line end", []string{"-set-secret-file", key + "=" + filepath.Join(dir, "pw-crlf")}, nil},
		{"on the command line", []string{"-set-secret", key + "=" + secret},
			[]string{"-set-secret:", "echoed by make", "-set-secret-env " + key + "=VARIABLE", "-set-secret-file " + key + "=path"}},
		{"on the command line without a key", []string{"-set-secret", secret},
			[]string{"-set-secret:", "-set-secret-env namespace:key=VARIABLE"}},
		{"an unset variable", []string{"-set-secret-env", key + "=UNSET_PASSWORD"}, []string{"-set-secret-env " + key, "UNSET_PASSWORD is not set"}},
		{"an empty variable", []string{"-set-secret-env", key + "=EMPTY_PASSWORD"}, []string{"EMPTY_PASSWORD is empty"}},
		{"not a variable name", []string{"-set-secret-env", key + "=my password"}, []string{`"my password" is not an environment variable name`}},
		{"a missing file", []string{"-set-secret-file", key + "=" + filepath.Join(dir, "nope")}, []string{"-set-secret-file " + key, filepath.Join(dir, "nope") + " does not exist"}},
		{"an empty file", []string{"-set-secret-file", key + "=" + filepath.Join(dir, "empty")}, []string{filepath.Join(dir, "empty") + " is empty"}},
		{"no key", []string{"-set-secret-env", "GRAFANA_PASSWORD"}, []string{"-set-secret-env: want namespace:key=VARIABLE"}},
	}
	render, _ := lookup("render")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			o, err := parseFlags(render, tc.args, &stderr)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if v := o.sets[key]; v.Value != secret || !v.Secret {
					t.Errorf("%s = %+v, want the secret %q", key, v, secret)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", o.sets)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(stderr.String(), secret) {
				t.Errorf("the refusal prints the secret:\n%v\n%s", err, stderr.String())
			}
			if _, ok := o.sets[key]; ok {
				t.Errorf("a refused override was kept: %+v", o.sets[key])
			}
		})
	}
}

// TestSecretOverridesOnlyWhereTaken: a command that takes no overrides
// refuses the secret flags by name, as any flag it does not take.
func TestSecretOverridesOnlyWhereTaken(t *testing.T) {
	t.Setenv("GRAFANA_PASSWORD", "pw")
	up, _ := lookup("up")
	_, err := parseFlags(up, []string{"-set-secret-env", "telemetry:grafanaAdminPassword=GRAFANA_PASSWORD"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "up does not take -set-secret-env") {
		t.Errorf("error = %v, want -set-secret-env refused for up", err)
	}
}
