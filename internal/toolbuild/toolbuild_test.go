package toolbuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func touch(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		f := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

var plan = Plan{
	{Name: "cli", Outputs: []string{".tools/cli/bin/cli"}, Cold: 8 * time.Minute},
	{Name: "cluster", Outputs: []string{".tools/k/a", ".tools/k/b"}, Cold: 12 * time.Minute},
	{Name: "images", Cold: time.Minute},
}

func TestMissingAndSummary(t *testing.T) {
	tests := []struct {
		name        string
		built       []string
		wantMissing []string
		wantSummary string
	}{
		{"cold machine", nil, []string{"cli", "cluster"},
			"tools: building 2 of 2 pinned tools (cli, cluster), about 20 min on 2 cores with a cold Go cache; later runs skip this"},
		{"a step with one of two outputs is not built", []string{".tools/cli/bin/cli", ".tools/k/a"}, []string{"cluster"},
			"tools: building 1 of 2 pinned tools (cluster), about 12 min"},
		{"everything built: no plan line", []string{".tools/cli/bin/cli", ".tools/k/a", ".tools/k/b"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			touch(t, root, tt.built...)
			var got []string
			for _, s := range plan.Missing(root) {
				got = append(got, s.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.wantMissing, ",") {
				t.Errorf("Missing = %v, want %v", got, tt.wantMissing)
			}
			summary := plan.Summary(root)
			if (tt.wantSummary == "") != (summary == "") || !strings.HasPrefix(summary, tt.wantSummary) {
				t.Errorf("Summary = %q, want it to start with %q", summary, tt.wantSummary)
			}
		})
	}
	// A step without outputs (the images) is never done by its outputs:
	// cmd/tools decides by the images' keys instead.
	if plan[2].Done(t.TempDir()) {
		t.Error("a step without outputs reports done; it must always run")
	}
}

func TestDurationsForPeople(t *testing.T) {
	for _, tt := range []struct {
		d             time.Duration
		minutes, wall string
	}{
		{5 * time.Second, "under a minute", "5s"},
		{90 * time.Second, "2 min", "1m30s"},
		{13*time.Minute + 20*time.Second, "13 min", "13m20s"},
	} {
		if got := Minutes(tt.d); got != tt.minutes {
			t.Errorf("Minutes(%s) = %q, want %q", tt.d, got, tt.minutes)
		}
		if got := Elapsed(tt.d); got != tt.wall {
			t.Errorf("Elapsed(%s) = %q, want %q", tt.d, got, tt.wall)
		}
	}
}

// TestStepsNameEveryScriptOutput: the plan's outputs are where the build
// scripts put their binaries (a wrong path would rebuild every time or
// never).
func TestStepsAreOrderedAndComplete(t *testing.T) {
	steps := Steps()
	if last := steps[len(steps)-1]; last.Name != ImagesStep || !last.After {
		t.Errorf("the images must build last, after the binaries before them; last step is %s", last.Name)
	}
	root := filepath.Join("..", "..")
	for _, s := range steps {
		if s.Name == ImagesStep {
			continue // built in-process by cmd/tools
		}
		if _, err := os.Stat(filepath.Join(root, s.Script)); err != nil {
			t.Errorf("%s: script %s: %v", s.Name, s.Script, err)
		}
		if s.Cold <= 0 {
			t.Errorf("%s has no measured cold cost", s.Name)
		}
		for _, o := range s.Outputs {
			if !strings.HasPrefix(o, ".tools/") {
				t.Errorf("%s: output %s is outside .tools/", s.Name, o)
			}
		}
	}
}

// TestDoneWhenNoSourceIsNewer: a step built from this checkout's sources
// is done only while its output is at least as new as every source.
func TestDoneWhenNoSourceIsNewer(t *testing.T) {
	step := Step{Name: "analyzer", Outputs: []string{".tools/x/analyzer"}, Sources: []string{"tools/x/*.go", "tools/x/go.mod"}}
	now := time.Now()
	tests := []struct {
		name string
		// ages of the files, by path (how long before now they changed)
		ages map[string]time.Duration
		want bool
	}{
		{"built after its sources", map[string]time.Duration{".tools/x/analyzer": time.Minute, "tools/x/main.go": time.Hour, "tools/x/go.mod": time.Hour}, true},
		{"a source edited since", map[string]time.Duration{".tools/x/analyzer": time.Minute, "tools/x/main.go": time.Second, "tools/x/go.mod": time.Hour}, false},
		{"go.mod moved on since", map[string]time.Duration{".tools/x/analyzer": time.Minute, "tools/x/main.go": time.Hour, "tools/x/go.mod": time.Second}, false},
		{"not built", map[string]time.Duration{"tools/x/main.go": time.Hour}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, age := range tt.ages {
				touch(t, root, p)
				if err := os.Chtimes(filepath.Join(root, p), now.Add(-age), now.Add(-age)); err != nil {
					t.Fatal(err)
				}
			}
			if got := step.Done(root); got != tt.want {
				t.Errorf("Done = %v, want %v", got, tt.want)
			}
		})
	}
}
