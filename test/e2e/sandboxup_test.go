package e2e

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

var (
	fastUp = regexp.MustCompile(`sandbox: already up \((real|kwok)\)`)
	fullUp = regexp.MustCompile(`sandbox: up \((real|kwok)\) in [0-9]+s`)
)

// TestSandboxUpOnARunningSandbox: every make up and preview runs
// `hack/sandbox.sh up`. On a sandbox that a complete up started from the
// same inputs, with every process running and the API ready, it takes the
// fast path; when anything it was started from differs, or the last up
// did not finish, it takes the full path. Neither restarts a process.
func TestSandboxUpOnARunningSandbox(t *testing.T) {
	sandbox(t)
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(sandboxRunDir(), "up.key")
	removeKey := func(t *testing.T) {
		if err := os.Remove(key); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		before   func(t *testing.T)
		env      []string
		wantFull bool
	}{
		// The sandbox may have been started by an earlier version of the
		// script: the first up records the key whichever path it takes.
		{name: "settle", wantFull: false},
		{name: "same inputs", wantFull: false},
		{name: "a SANDBOX_ setting differs", env: []string{"SANDBOX_E2E_PROBE=1"}, wantFull: true},
		{name: "the setting is gone again", wantFull: true},
		{name: "unchanged since", wantFull: false},
		{name: "the last up did not finish", before: removeKey, wantFull: true},
		{name: "finished since", wantFull: false},
	}
	for i, step := range steps {
		if step.before != nil {
			step.before(t)
		}
		pids := runningPIDs(t)
		cmd := exec.Command(filepath.Join(root, "hack", "sandbox.sh"), "up")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), step.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: hack/sandbox.sh up: %v\n%s", step.name, err, out)
		}
		full, fast := fullUp.Match(out), fastUp.Match(out)
		if full == fast {
			t.Fatalf("%s: up's output shows neither path, or both:\n%s", step.name, out)
		}
		if i > 0 && full != step.wantFull {
			t.Errorf("%s: full path = %v, want %v:\n%s", step.name, full, step.wantFull, out)
		}
		if _, err := os.Stat(key); err != nil {
			t.Errorf("%s: no key recorded after up: %v", step.name, err)
		}
		if after := runningPIDs(t); !maps.Equal(pids, after) {
			t.Errorf("%s: up restarted processes: %v before, %v after", step.name, pids, after)
		}
	}
}

// runningPIDs maps each PID file of the sandbox to its running process.
func runningPIDs(t *testing.T) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(sandboxRunDir(), "*.pid"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no PID files in %s (%v): is the sandbox up?", sandboxRunDir(), err)
	}
	pids := map[string]int{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		pids[name] = componentPID(t, name)
	}
	return pids
}
