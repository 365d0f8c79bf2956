// Command tools builds the pinned tools into .tools/ (make tools): one
// line with the plan first when anything is missing, then per step which
// one of how many it is, what it costs cold, and how long it took; a step
// already built says so in one line.
//
//	go run ./cmd/tools          # build what is missing
//	go run ./cmd/tools -plan    # only print what would be built
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

func main() {
	planOnly := flag.Bool("plan", false, "print what would be built, build nothing")
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	if _, err := os.Stat("versions.env"); err != nil {
		fail(fmt.Errorf("run from the project root: %w", err))
	}
	plan := toolbuild.Steps()
	if summary := plan.Summary(root); summary != "" {
		fmt.Fprintln(os.Stderr, summary)
	}
	if *planOnly {
		return
	}
	for i, step := range plan {
		prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(plan), step.Name)
		if step.Script == imagesScript {
			k, err := newKeyer(root, plan)
			if err != nil {
				fail(fmt.Errorf("%s: %w", prefix, err))
			}
			buildImages(prefix, step, k)
			continue
		}
		if step.Done(root) {
			fmt.Fprintf(os.Stderr, "%s: built\n", prefix)
			continue
		}
		build(prefix, step)
	}
}

// buildImages runs the images step for the images whose inputs changed
// since they were built (all of them on a cold machine), and records
// their keys once the script succeeded. It runs last, after the steps
// that build the binaries it keys.
func buildImages(prefix string, step toolbuild.Step, k keyer) {
	stale, err := k.staleImages(func(err error) { fmt.Fprintf(os.Stderr, "%s: %v; rebuilt every time\n", prefix, err) })
	if err != nil {
		fail(fmt.Errorf("%s: %w", prefix, err))
	}
	if len(stale) == 0 {
		fmt.Fprintf(os.Stderr, "%s: built\n", prefix)
		return
	}
	step.Args = slices.Sorted(maps.Keys(stale))
	build(fmt.Sprintf("%s (%s)", prefix, strings.Join(step.Args, ", ")), step)
	if err := k.record(stale); err != nil {
		fail(fmt.Errorf("%s: %w", prefix, err))
	}
}

// build runs one step with its progress lines.
func build(prefix string, step toolbuild.Step) {
	fmt.Fprintf(os.Stderr, "%s: building, about %s on 2 cores if cold...\n", prefix, toolbuild.Minutes(step.Cold))
	start := time.Now()
	if err := run(step); err != nil {
		fail(fmt.Errorf("%s: %w", prefix, err))
	}
	fmt.Fprintf(os.Stderr, "%s: done in %s\n", prefix, toolbuild.Elapsed(time.Since(start)))
}

// run runs the step's script; its stdout (the built paths) is dropped, its
// stderr passed on without the module download lines.
func run(step toolbuild.Step) error {
	cmd := exec.Command(step.Script, step.Args...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "go: downloading ") {
			fmt.Fprintln(os.Stderr, "  "+line)
		}
	}
	return cmd.Wait()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tools:", err)
	os.Exit(1)
}
