package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Sample is one measured series: every run's duration, in the order taken.
type Sample struct {
	Runs []time.Duration `json:"runs"`
}

func (s *Sample) add(d time.Duration) { s.Runs = append(s.Runs, d) }

// Median, Min and Max summarize the runs.
func (s Sample) Median() time.Duration {
	if len(s.Runs) == 0 {
		return 0
	}
	sorted := slices.Clone(s.Runs)
	slices.Sort(sorted)
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func (s Sample) Min() time.Duration { return slices.Min(s.Runs) }
func (s Sample) Max() time.Duration { return slices.Max(s.Runs) }

// String is "median (min-max)" in seconds.
func (s Sample) String() string {
	if len(s.Runs) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f s (%.2f-%.2f)", s.Median().Seconds(), s.Min().Seconds(), s.Max().Seconds())
}

// Comparison is the stack's way against the tutorial's, for one task.
type Comparison struct {
	Task     string `json:"task"`
	Engine   Sample `json:"engine"`
	Tutorial Sample `json:"tutorial"`
	// EngineHow and TutorialHow say what each side ran.
	EngineHow   string `json:"engineHow"`
	TutorialHow string `json:"tutorialHow"`
	// Target is the ratio (engine/tutorial medians) the issue asks for.
	Target float64 `json:"target"`
}

// Ratio is engine median / tutorial median.
func (c Comparison) Ratio() float64 {
	if c.Tutorial.Median() == 0 {
		return 0
	}
	return c.Engine.Median().Seconds() / c.Tutorial.Median().Seconds()
}

// Slowest is one resource's time within an engine `up`.
type Slowest struct {
	Resource string `json:"resource"`
	Sample   Sample `json:"sample"`
}

// Growth is one chain length's cost.
type Growth struct {
	Hops      int    `json:"hops"`
	Resources int    `json:"resources"`
	Up        Sample `json:"up"`
	Preview   Sample `json:"preview"`
}

// Results is one bench run.
type Results struct {
	Machine     string       `json:"machine"`
	Rounds      int          `json:"rounds"`
	Started     time.Time    `json:"started"`
	Finished    time.Time    `json:"finished"`
	Comparisons []Comparison `json:"comparisons"`
	// ColdUpSlowest are the resources taking longest in the engine's cold
	// `up` (median over rounds): where the time goes.
	ColdUpSlowest []Slowest `json:"coldUpSlowest"`
	Growth        []Growth  `json:"growth"`
	// Traffic are the routing bench's runs, in the order they ran.
	Traffic []TrafficRun `json:"traffic"`
}

func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}

func (r *Results) write(dir, name string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), raw, 0o644); err != nil {
		return err
	}
	md := r.markdown()
	fmt.Print(md)
	return os.WriteFile(filepath.Join(dir, name+".md"), []byte(md), 0o644)
}

func (r *Results) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s. %d rounds, alternating which way goes first; %s to %s.\n\n",
		r.Machine, r.Rounds, r.Started.Format(time.RFC3339), r.Finished.Format(time.RFC3339))
	if len(r.Comparisons) > 0 {
		b.WriteString("| task | this stack | the tutorial's way | ratio (medians) | target |\n|---|---|---|---:|---:|\n")
		for _, c := range r.Comparisons {
			verdict := "met"
			if c.Ratio() > c.Target {
				verdict = "missed"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %.2f | <= %.1f (%s) |\n", c.Task, c.Engine, c.Tutorial, c.Ratio(), c.Target, verdict)
		}
		b.WriteString("\nWhat each side ran:\n\n")
		for _, c := range r.Comparisons {
			fmt.Fprintf(&b, "- %s: this stack: %s; the tutorial's way: %s.\n", c.Task, c.EngineHow, c.TutorialHow)
		}
	}
	if len(r.ColdUpSlowest) > 0 {
		b.WriteString("\nWhere a cold `up` spends its time (each resource from its first event to its outputs, median over rounds; resources overlap):\n\n| resource | time |\n|---|---|\n")
		for _, s := range r.ColdUpSlowest {
			fmt.Fprintf(&b, "| %s | %s |\n", s.Resource, s.Sample)
		}
	}
	if len(r.Growth) > 0 {
		b.WriteString("\nGrowth with the chain's length (`up` from an empty cluster, then a no-op `preview`):\n\n| hops | resources | up | up per resource | preview | preview per resource |\n|---:|---:|---|---:|---|---:|\n")
		for _, g := range r.Growth {
			fmt.Fprintf(&b, "| %d | %d | %s | %.0f ms | %s | %.0f ms |\n", g.Hops, g.Resources, g.Up,
				float64(g.Up.Median().Milliseconds())/float64(g.Resources), g.Preview,
				float64(g.Preview.Median().Milliseconds())/float64(g.Resources))
		}
	}
	if len(r.Traffic) > 0 {
		fmt.Fprintf(&b, "\nThe chain under load on the proxyless data plane (open loop at %d rps for %s through a port-forward to service-a, every tenth request with end-user: jason; CPU of the hops' sample-app containers per request):\n\n| configuration | requests | errors | p50 | p99 | CPU per request | less idle | idle CPU per second | answers by version of C |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n", trafficRate, trafficDuration)
		for _, t := range r.Traffic {
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %v |\n", t.Config, t.Requests, t.Errors, t.P50.Round(10*time.Microsecond), t.P99.Round(10*time.Microsecond),
				t.CPUPerRequest.Round(time.Microsecond), t.CPUPerRequestLessIdle.Round(time.Microsecond), t.IdleCPU.Round(time.Millisecond), t.Versions)
		}
	}
	return b.String()
}
