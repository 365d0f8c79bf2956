// Package toolbuild is the plan and progress of `make tools`: which pinned
// tools .tools/ still lacks, what building them costs on a cold machine,
// and a line per step while they build. The builds themselves are the
// hack/build-*.sh scripts; this package only orders, skips and reports.
package toolbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Step is one tool build.
type Step struct {
	// Name is what the user reads ("kubernetes provider 4.25.0").
	Name string
	// Script and Args build it (relative to the project root).
	Script string
	Args   []string
	// Outputs are the files the build leaves in .tools/; the step is done
	// when all exist. A step without outputs always runs (cheap, and its
	// inputs are this checkout's own sources).
	Outputs []string
	// Sources, for a tool of this checkout's own code, are globs (relative
	// to the root) of what it is built from: the step is not done while
	// one of them is newer than an output. Pinned tools have none: their
	// outputs are keyed by version.
	Sources []string
	// Cold is what the build took on 2 cores with empty Go caches, one
	// build at a time (measured; BENCHMARKS.md), so a user knows how long
	// to wait.
	Cold time.Duration
	// Graph names the wrapper module whose dependency graph the build
	// compiles; steps of one graph never build at the same time (Run).
	Graph string
	// After makes the step wait for every step before it (Run).
	After bool
}

// Done reports whether every output of the step exists under root, none
// older than a source.
func (s Step) Done(root string) bool {
	if len(s.Outputs) == 0 {
		return false
	}
	var newest time.Time
	for _, pattern := range s.Sources {
		matches, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
		}
	}
	for _, o := range s.Outputs {
		fi, err := os.Stat(filepath.Join(root, o))
		if err != nil || fi.ModTime().Before(newest) {
			return false
		}
	}
	return true
}

// Plan is the steps in build order.
type Plan []Step

// Missing is the steps that still have to build a pinned tool (steps
// without outputs are not counted: they always run and take seconds).
func (p Plan) Missing(root string) []Step {
	var out []Step
	for _, s := range p {
		if len(s.Outputs) > 0 && !s.Done(root) {
			out = append(out, s)
		}
	}
	return out
}

// pinned counts the steps that build a pinned tool (those with outputs).
func (p Plan) pinned() int {
	n := 0
	for _, s := range p {
		if len(s.Outputs) > 0 {
			n++
		}
	}
	return n
}

// Summary is the one line printed before anything builds, or "" when
// every pinned tool is there.
func (p Plan) Summary(root string) string {
	missing := p.Missing(root)
	if len(missing) == 0 {
		return ""
	}
	var total time.Duration
	var names []string
	for _, s := range missing {
		total += s.Cold
		names = append(names, s.Name)
	}
	return fmt.Sprintf("tools: building %d of %d pinned tools (%s), about %s on 2 cores with a cold Go cache; later runs skip this",
		len(missing), p.pinned(), strings.Join(names, ", "), Minutes(total))
}

// Minutes rounds a duration for people: "about 13 min", "under a minute".
func Minutes(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
}

// Elapsed formats a build's wall time: "4m05s", "12s".
func Elapsed(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
