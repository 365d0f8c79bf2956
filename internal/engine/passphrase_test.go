package engine

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
)

// projectRoot is this checkout's root, for the tracked stack files.
func projectRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestSandboxSaltIsPublic is why a clean checkout stays clean without a
// CLI: Pulumi writes a salt into the stack file only when the file has
// none or one its passphrase does not open. The sandbox's committed salt
// opens with PublicPassphrase, which every machine uses for it, so
// creating the stack and every later run find nothing to write.
func TestSandboxSaltIsPublic(t *testing.T) {
	salt, err := stackfile.EncryptionSalt(filepath.Join(projectRoot(t), "Pulumi.sandbox.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if salt == "" {
		t.Fatal("Pulumi.sandbox.yaml has no encryptionsalt: the first `make up` would write one into the tracked file")
	}
	if !SaltOpensWith(salt, PublicPassphrase) {
		t.Fatalf("Pulumi.sandbox.yaml's encryptionsalt %q does not open with PublicPassphrase: every machine would fail with \"incorrect passphrase\"", salt)
	}
	if SaltOpensWith(salt, "another passphrase") {
		t.Fatal("the salt opens with any passphrase")
	}
}

// TestSandboxConfigIsLast keeps config: the file's last top-level key, so
// a line a user appends by hand lands inside it (the salt Pulumi used to
// append left such lines outside config:, and the next run failed on them).
func TestSandboxConfigIsLast(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(projectRoot(t), "Pulumi.sandbox.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if line != "" && line[0] != ' ' && line[0] != '#' && line[0] != '-' {
			last = line
		}
	}
	if last != "config:" {
		t.Errorf("the last top-level key of Pulumi.sandbox.yaml is %q, want config:", last)
	}
}

func TestPassphraseFor(t *testing.T) {
	root := projectRoot(t)
	plain := filepath.Join(t.TempDir(), "Pulumi.x.yaml")
	if err := os.WriteFile(plain, []byte("config:\n  webserver:replicas: \"1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	foreignSalt := filepath.Join(t.TempDir(), "Pulumi.y.yaml")
	if err := os.WriteFile(foreignSalt, []byte("encryptionsalt: v1:Q/y9XXtGQso=:v1:da+upFhZ6qmU74jg:7sv9D5NMwC3et57VLiblNkxNOOqJxw==\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		stackFile string
		env       map[string]string
		want      PassphraseSource
	}{
		{"the sandbox's published salt", filepath.Join(root, "Pulumi.sandbox.yaml"), nil, PassphrasePublic},
		{"the published salt wins over the user's passphrase", filepath.Join(root, "Pulumi.sandbox.yaml"), map[string]string{"PULUMI_CONFIG_PASSPHRASE": "mine"}, PassphrasePublic},
		{"no salt yet", plain, nil, PassphraseGenerated},
		{"no file yet", filepath.Join(t.TempDir(), "Pulumi.new.yaml"), nil, PassphraseGenerated},
		{"another machine's salt", foreignSalt, nil, PassphraseGenerated},
		{"the user's passphrase", plain, map[string]string{"PULUMI_CONFIG_PASSPHRASE": "mine"}, PassphraseFromUser},
		{"the user's passphrase file", plain, map[string]string{"PULUMI_CONFIG_PASSPHRASE_FILE": "/somewhere"}, PassphraseFromUser},
		// An empty passphrase is a passphrase (Pulumi accepts it); an empty file name is not a file.
		{"the user's empty passphrase", plain, map[string]string{"PULUMI_CONFIG_PASSPHRASE": ""}, PassphraseFromUser},
		{"an empty passphrase file name", plain, map[string]string{"PULUMI_CONFIG_PASSPHRASE_FILE": ""}, PassphraseGenerated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"} {
				t.Setenv(k, "") // restored after the test
				os.Unsetenv(k)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			l := Layout{StateDir: t.TempDir()}
			p, err := l.PassphraseFor(tc.stackFile)
			if err != nil {
				t.Fatal(err)
			}
			if p.Source != tc.want {
				t.Fatalf("source %v, want %v", p.Source, tc.want)
			}
			env := p.cliEnv()
			switch tc.want {
			case PassphraseFromUser:
				if p.File != "" || len(env) != 0 {
					t.Errorf("the user's passphrase was replaced: file %q, env %v", p.File, env)
				}
				return
			case PassphrasePublic:
				if env["PULUMI_CONFIG_PASSPHRASE"] != PublicPassphrase {
					t.Errorf("CLI env %v does not override the user's passphrase", env)
				}
			case PassphraseGenerated:
				if env["PULUMI_CONFIG_PASSPHRASE_FILE"] != p.File {
					t.Errorf("CLI env %v does not name the file %s", env, p.File)
				}
			}
			info, err := os.Stat(p.File)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", p.File, info.Mode().Perm())
			}
			first, _ := os.ReadFile(p.File)
			again, err := l.PassphraseFor(tc.stackFile)
			if err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(again.File)
			if string(first) != string(second) || strings.TrimSpace(string(first)) == "" {
				t.Errorf("the passphrase changed or is empty: %q then %q", first, second)
			}
		})
	}
}

// TestGeneratedPassphraseRace is two first runs at once: every run must
// end with the passphrase that stays in the file, or a stack's salt is
// made with one that is then overwritten and never opens again.
func TestGeneratedPassphraseRace(t *testing.T) {
	for _, k := range []string{"PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	stackFile := filepath.Join(t.TempDir(), "Pulumi.new.yaml")
	const rounds, runs = 20, 8
	for round := 0; round < rounds; round++ {
		l := Layout{StateDir: filepath.Join(t.TempDir(), ".state")}
		seen := make([]string, runs)
		errs := make([]error, runs)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p, err := l.PassphraseFor(stackFile)
				if err != nil {
					errs[i] = err
					return
				}
				// What this run hands the CLI, read as the CLI reads it.
				raw, err := os.ReadFile(p.File)
				seen[i], errs[i] = string(raw), err
			}()
		}
		close(start)
		wg.Wait()
		file := filepath.Join(l.StateDir, "passphrase")
		final, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i := range runs {
			if errs[i] != nil {
				t.Fatalf("round %d, run %d: %v", round, i, errs[i])
			}
			if seen[i] != string(final) || strings.TrimSpace(seen[i]) == "" {
				t.Fatalf("round %d: run %d used passphrase %q, the file ends with %q: its stacks' salt no longer opens", round, i, seen[i], final)
			}
		}
		info, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", file, info.Mode().Perm())
		}
		entries, _ := os.ReadDir(l.StateDir)
		if len(entries) != 1 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("the state directory holds %v, want the passphrase file alone (no temporary files left)", names)
		}
	}
}

// TestEmptyPassphraseFileIsRefused: a file left empty (a run killed while
// an older version wrote it in place) is not a passphrase; using it would
// make new stacks with an empty one and fail on the old stacks' salt.
func TestEmptyPassphraseFileIsRefused(t *testing.T) {
	for _, k := range []string{"PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	l := Layout{StateDir: t.TempDir()}
	file := filepath.Join(l.StateDir, "passphrase")
	if err := os.WriteFile(file, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := l.PassphraseFor(filepath.Join(t.TempDir(), "Pulumi.x.yaml"))
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("error = %v, want the empty file %s named", err, file)
	}
	if raw, _ := os.ReadFile(file); string(raw) != "\n" {
		t.Errorf("the file was rewritten to %q", raw)
	}
}
