package toolbuild

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// runLog records which steps ran and which ran at the same time.
type runLog struct {
	mu      sync.Mutex
	running map[string]bool
	order   []string
	overlap map[[2]string]bool // steps seen running together
	maxRun  int
}

func newRunLog() *runLog {
	return &runLog{running: map[string]bool{}, overlap: map[[2]string]bool{}}
}

func (l *runLog) start(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for other := range l.running {
		l.overlap[[2]string{min(name, other), max(name, other)}] = true
	}
	l.running[name] = true
	l.order = append(l.order, name)
	l.maxRun = max(l.maxRun, len(l.running))
}

func (l *runLog) end(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.running, name)
}

func (l *runLog) together(a, b string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.overlap[[2]string{min(a, b), max(a, b)}]
}

// runPlan runs p with builds that take a moment each, so that steps
// allowed to overlap usually do; the assertions below hold however the
// goroutines are scheduled.
func runPlan(t *testing.T, p Plan, jobs int, fail string) (*runLog, error) {
	t.Helper()
	l := newRunLog()
	err := p.Run(jobs, func(i int, s Step) error {
		if p[i].Name != s.Name {
			t.Errorf("build(%d, %s): index and step disagree", i, s.Name)
		}
		l.start(s.Name)
		defer l.end(s.Name)
		time.Sleep(5 * time.Millisecond)
		if s.Name == fail {
			return errors.New("exit status 1")
		}
		return nil
	})
	return l, err
}

var graphPlan = Plan{
	{Name: "provider", Graph: "provider"},
	{Name: "istiod", Graph: "sandbox"},
	{Name: "cli", Graph: "pulumi"},
	{Name: "prometheus", Graph: "sandbox"},
	{Name: "kwok", Graph: "sandbox"},
	{Name: "pause"},
	{Name: "images", After: true},
}

func TestRunKeepsTheConstraints(t *testing.T) {
	for _, jobs := range []int{0, 1, 2, 3, 8} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			l, err := runPlan(t, graphPlan, jobs, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(l.order) != len(graphPlan) {
				t.Fatalf("ran %v, want every step once", l.order)
			}
			if limit := max(jobs, 1); l.maxRun > limit {
				t.Errorf("%d builds at once, want at most %d", l.maxRun, limit)
			}
			// One graph: in plan order, never together.
			sandbox := slices.DeleteFunc(slices.Clone(l.order), func(n string) bool {
				return n != "istiod" && n != "prometheus" && n != "kwok"
			})
			if strings.Join(sandbox, ",") != "istiod,prometheus,kwok" {
				t.Errorf("tools/sandbox's steps started as %v, want istiod,prometheus,kwok", sandbox)
			}
			for _, pair := range [][2]string{{"istiod", "prometheus"}, {"istiod", "kwok"}, {"prometheus", "kwok"}} {
				if l.together(pair[0], pair[1]) {
					t.Errorf("%s and %s (one graph) ran together", pair[0], pair[1])
				}
			}
			// After: alone, last.
			if last := l.order[len(l.order)-1]; last != "images" {
				t.Errorf("last step to start was %s, want images (After)", last)
			}
			for _, s := range graphPlan[:len(graphPlan)-1] {
				if l.together("images", s.Name) {
					t.Errorf("images ran beside %s", s.Name)
				}
			}
		})
	}
}

// TestRunOverlapsIndependentSteps: with two jobs, two steps of different
// graphs run at the same time. The first build waits until the second has
// started; a scheduler running one build at a time fails here.
func TestRunOverlapsIndependentSteps(t *testing.T) {
	p := Plan{{Name: "provider", Graph: "provider"}, {Name: "cli", Graph: "pulumi"}}
	second := make(chan struct{})
	err := p.Run(2, func(i int, s Step) error {
		if i == 1 {
			close(second)
			return nil
		}
		select {
		case <-second:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("the second build never started while the first ran")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunStopsAfterAFailure(t *testing.T) {
	tests := []struct {
		name, fail string
		jobs       int
		wantErr    string
		neverRun   []string
	}{
		{"one at a time: nothing after the failed step", "cli", 1, "cli: exit status 1", []string{"prometheus", "kwok", "pause", "images"}},
		{"two at a time: the images never start", "kwok", 2, "kwok: exit status 1", []string{"images"}},
		{"the first step", "provider", 1, "provider: exit status 1", []string{"istiod", "cli", "images"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := runPlan(t, graphPlan, tt.jobs, tt.fail)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			for _, n := range tt.neverRun {
				if slices.Contains(l.order, n) {
					t.Errorf("%s ran after %s failed (ran: %v)", n, tt.fail, l.order)
				}
			}
			if len(l.running) != 0 {
				t.Errorf("Run returned while %v still ran", l.running)
			}
		})
	}
}
