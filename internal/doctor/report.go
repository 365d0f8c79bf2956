// Package doctor is `make doctor`: before a long first run or when
// something fails, what is built and what is missing, which stack and
// cluster the next `make up` will touch, whether the sandbox is up, and
// for minikube stacks whether minikube and its Docker answer. Every
// problem comes with the command that fixes it.
//
// The checks only look at the machine through Machine, so they are tested
// with fakes; Host is the real machine.
package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Status is how a finding reads.
type Status int

const (
	// OK: checked and fine.
	OK Status = iota
	// Info: what the user should know, not a problem (which cluster, ...).
	Info
	// Problem: the next `make up` (or the pulumi CLI in the shell) would
	// fail or do the wrong thing; Fix says what to run.
	Problem
)

func (s Status) String() string {
	switch s {
	case Problem:
		return "PROBLEM"
	case Info:
		return "info"
	default:
		return "ok"
	}
}

// Finding is one check's result.
type Finding struct {
	// Check names what was looked at ("Pulumi CLI v3.274.1", "cluster").
	Check  string
	Status Status
	// Detail says what was found; it may span lines.
	Detail string
	// Fix is the command that fixes a problem.
	Fix string
}

// Report is every finding, in the order checked.
type Report struct {
	Stack    string
	Findings []Finding
}

func (r *Report) add(f Finding) { r.Findings = append(r.Findings, f) }

// Problems counts the findings that are problems.
func (r Report) Problems() int {
	n := 0
	for _, f := range r.Findings {
		if f.Status == Problem {
			n++
		}
	}
	return n
}

// Write prints the report: one line per finding, its detail's further
// lines and its fix indented beneath, then the count of problems.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "doctor: stack %s\n", r.Stack)
	for _, f := range r.Findings {
		lines := strings.Split(strings.TrimRight(f.Detail, "\n"), "\n")
		fmt.Fprintf(&b, "  %-8s %s: %s\n", f.Status, f.Check, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(&b, "  %-8s   %s\n", "", l)
		}
		if f.Status == Problem && f.Fix != "" {
			fmt.Fprintf(&b, "  %-8s fix: %s\n", "", f.Fix)
		}
	}
	switch n := r.Problems(); n {
	case 0:
		b.WriteString("no problems found\n")
	case 1:
		b.WriteString("1 problem found\n")
	default:
		fmt.Fprintf(&b, "%d problems found\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
