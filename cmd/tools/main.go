// Command tools builds the pinned tools into .tools/ (make tools): one
// line with the plan first when anything is missing, then per step which
// one of how many it is, what it costs cold, and how long it took (wall
// and CPU); a step already built says so in one line. Two builds run at a
// time by default (toolbuild.Plan.Run says which may); each line of a
// build's output carries its step number.
//
//	go run ./cmd/tools            # build what is missing
//	go run ./cmd/tools -jobs 1    # one build at a time
//	go run ./cmd/tools -plan      # only print what would be built
//	go run ./cmd/tools -layout    # the paths make needs, as make assignments
//
// The build scripts (hack/build-*.sh) build the pinned tools; the last
// step, the sandbox's images, is built here (internal/sandbox/imagebuild).
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

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/imagebuild"
	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

func main() {
	planOnly := flag.Bool("plan", false, "print what would be built, build nothing")
	makeLayout := flag.Bool("layout", false, "print the paths the Makefile needs (internal/layout) as make assignments")
	jobs := flag.Int("jobs", 2, "builds at a time")
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		fail(err)
	}
	if _, err := os.Stat("versions.env"); err != nil {
		fail(fmt.Errorf("run from the project root: %w", err))
	}
	l := layout.New(root)
	if *makeLayout {
		if err := l.WriteMake(os.Stdout); err != nil {
			fail(err)
		}
		return
	}
	plan := toolbuild.Steps()
	if summary := plan.Summary(root); summary != "" {
		fmt.Fprintln(os.Stderr, summary)
	}
	if *planOnly {
		return
	}
	err = plan.Run(*jobs, func(i int, step toolbuild.Step) error {
		tag := fmt.Sprintf("[%d/%d]", i+1, len(plan))
		prefix := tag + " " + step.Name
		if step.Name == toolbuild.ImagesStep {
			return buildImages(prefix, tag, step, l, plan)
		}
		if step.Done(root) {
			fmt.Fprintf(os.Stderr, "%s: built\n", prefix)
			return nil
		}
		return build(prefix, tag, step)
	})
	if err != nil {
		fail(err)
	}
}

// buildImages builds the images whose inputs changed since they were
// built (all of them on a cold machine). It runs last, after the steps
// that build the binaries it packs.
func buildImages(prefix, tag string, step toolbuild.Step, l layout.Layout, plan toolbuild.Plan) error {
	log := &prefixWriter{prefix: "  " + tag + " ", w: os.Stderr}
	b, err := imagebuild.NewBuilder(l, plan, log)
	if err != nil {
		return err
	}
	stale, err := b.Stale(func(err error) { fmt.Fprintf(os.Stderr, "%s: %v; rebuilt every time\n", prefix, err) })
	if err != nil {
		return err
	}
	if len(stale) == 0 {
		fmt.Fprintf(os.Stderr, "%s: built\n", prefix)
		return nil
	}
	prefix = fmt.Sprintf("%s (%s)", prefix, strings.Join(slices.Sorted(maps.Keys(stale)), ", "))
	fmt.Fprintf(os.Stderr, "%s: building, about %s on 2 cores if cold...\n", prefix, toolbuild.Minutes(step.Cold))
	start := time.Now()
	if err := b.Build(stale); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: done in %s\n", prefix, toolbuild.Elapsed(time.Since(start)))
	return nil
}

// prefixWriter tags each line written with the step, as run does for a
// script's output.
type prefixWriter struct {
	prefix string
	w      io.Writer
	line   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		p.line = append(p.line, c)
		if c == '\n' {
			if _, err := fmt.Fprint(p.w, p.prefix+string(p.line)); err != nil {
				return 0, err
			}
			p.line = p.line[:0]
		}
	}
	return len(b), nil
}

// build runs one step with its progress lines: the wall time, and the CPU
// time of the script and every process it waited for (go build's compiles
// and links), which shows how much of two cores the build kept busy.
func build(prefix, tag string, step toolbuild.Step) error {
	fmt.Fprintf(os.Stderr, "%s: building, about %s on 2 cores if cold...\n", prefix, toolbuild.Minutes(step.Cold))
	start := time.Now()
	cpu, err := run(tag, step)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: done in %s (%s CPU)\n", prefix, toolbuild.Elapsed(time.Since(start)), toolbuild.Elapsed(cpu))
	return nil
}

// run runs the step's script; its stdout (the built paths) is dropped, its
// stderr passed on, each line tagged with the step, without the module
// download lines. It returns the CPU time used (user and system).
func run(tag string, step toolbuild.Step) (time.Duration, error) {
	cmd := exec.Command(step.Script, step.Args...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if line := sc.Text(); !strings.HasPrefix(line, "go: downloading ") {
			fmt.Fprintln(os.Stderr, "  "+tag+" "+line)
		}
	}
	// A line too long for the scanner ends the loop; the rest is dropped
	// rather than left to fill the pipe and stall the build.
	_, _ = io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	if cmd.ProcessState == nil {
		return 0, err
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tools:", err)
	os.Exit(1)
}
