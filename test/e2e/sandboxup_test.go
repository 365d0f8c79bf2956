package e2e

import (
	"maps"
	"os"
	"regexp"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
)

var (
	fastUp = regexp.MustCompile(`msg="already up \((real|kwok)\)`)
	fullUp = regexp.MustCompile(`msg="up \((real|kwok)\) in [0-9]+s`)
)

// TestSandboxUpOnARunningSandbox: every make up and preview runs
// `sandbox up`. On a sandbox that a complete up started from the same
// key, with every process running and the API ready, it takes the fast
// path; when anything it was started from differs, or the last up did
// not finish, it takes the full path. Neither restarts a process.
func TestSandboxUpOnARunningSandbox(t *testing.T) {
	sandbox(t)
	recordFile := checkout(t).SandboxState().Record()
	unfinished := func(t *testing.T) {
		rec := sandboxRecord(t)
		rec.Key = ""
		if err := rec.Save(recordFile); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		before   func(t *testing.T)
		env      []string
		wantFull bool
	}{
		// The sandbox may have been started with other settings (make e2e
		// runs up without SANDBOX_KUBECONFIG): the first up records the
		// key whichever path it takes.
		{name: "settle", wantFull: false},
		{name: "same inputs", wantFull: false},
		{name: "a SANDBOX_ setting differs", env: []string{"SANDBOX_E2E_PROBE=1"}, wantFull: true},
		{name: "the setting is gone again", wantFull: true},
		{name: "unchanged since", wantFull: false},
		{name: "the last up did not finish", before: unfinished, wantFull: true},
		{name: "finished since", wantFull: false},
	}
	for i, step := range steps {
		if step.before != nil {
			step.before(t)
		}
		pids := runningPIDs(t)
		cmd := sandboxCommand(t, "up")
		cmd.Env = append(os.Environ(), step.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: sandbox up: %v\n%s", step.name, err, out)
		}
		full, fast := fullUp.Match(out), fastUp.Match(out)
		if full == fast {
			t.Fatalf("%s: up's output shows neither path, or both:\n%s", step.name, out)
		}
		if i > 0 && full != step.wantFull {
			t.Errorf("%s: full path = %v, want %v:\n%s", step.name, full, step.wantFull, out)
		}
		if rec := sandboxRecord(t); rec.Key == "" {
			t.Errorf("%s: no key recorded after up", step.name)
		}
		if after := runningPIDs(t); !maps.Equal(pids, after) {
			t.Errorf("%s: up restarted processes: %v before, %v after", step.name, pids, after)
		}
	}
}

// runningPIDs maps each process the record names to its PID, checking it
// runs its binary.
func runningPIDs(t *testing.T) map[string]int {
	t.Helper()
	rec := sandboxRecord(t)
	if len(rec.Processes) == 0 {
		t.Fatal("the sandbox's record names no process: is the sandbox up?")
	}
	pids := map[string]int{}
	for _, p := range rec.Processes {
		if !process.Alive(p.PID, p.Binary) {
			t.Fatalf("%s (pid %d, %s) is not running", p.Name, p.PID, p.Binary)
		}
		pids[p.Name] = p.PID
	}
	return pids
}
