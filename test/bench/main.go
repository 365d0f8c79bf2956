// Command bench measures the stack on the sandbox against the tutorial's way
// of doing the same thing, side by side in one run:
//
//   - cold deploy: `up` from an empty cluster vs. `helm install --wait` of
//     the same charts with the same values, `kubectl apply` of the same
//     rendered manifests and `kubectl rollout status`;
//   - no-op: `preview` of the deployed stack vs. `kubectl diff` of the
//     rendered manifests;
//   - image change: `up` with a new webserver:image vs. `kubectl set image`
//     and `kubectl rollout status`;
//   - growth: chain length 3, 10, 30: resources, `up` from empty, `preview`;
//   - routing (-tasks routing): the chain under load, hop C in two versions
//     behind routing rules against the default chain.
//
// Rounds alternate the two ways so drift in the machine's load hits both;
// results are medians with min-max, and ratios of medians. Run it on a
// fresh sandbox (make bench-deploy does):
//
//	go run ./test/bench -rounds 3 -out bench/out
//
// Everything it starts listens on, and everything it dials is, 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

func main() {
	rounds := flag.Int("rounds", 3, "rounds of each comparison (alternating which way goes first)")
	kubeconfig := flag.String("kubeconfig", "", "the sandbox's kubeconfig (default the sandbox's, internal/layout)")
	helmBin := flag.String("helm", "", "the helm binary (default the pinned one of make helm)")
	out := flag.String("out", "bench/out", "directory for results (<report>.json, <report>.md)")
	report := flag.String("report", "deploy", "the results' file name, without extension")
	growth := flag.String("growth", "3,10,30", "chain lengths for the growth runs (empty: none)")
	tasks := flag.String("tasks", "cold,noop,image,growth", "which comparisons to run (also: routing, the chain under load with hop C in versions behind routing rules)")
	flag.Parse()
	if err := run(*rounds, *kubeconfig, *helmBin, *out, *report, *growth, strings.Split(*tasks, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(rounds int, kubeconfig, helmBin, out, report, growth string, tasks []string) error {
	ctx := context.Background()
	l, err := utils.Layout()
	if err != nil {
		return err
	}
	root := l.Root
	if kubeconfig == "" {
		kubeconfig = l.SandboxState().Kubeconfig()
	}
	if !filepath.IsAbs(kubeconfig) {
		kubeconfig = filepath.Join(root, kubeconfig)
	}
	if helmBin == "" {
		helmBin = l.Helm()
	}
	need := []string{kubeconfig}
	if slices.ContainsFunc(tasks, func(t string) bool { return t != "routing" }) {
		// The tutorial's way of the deploy comparisons runs helm.
		need = append(need, helmBin)
	}
	for _, f := range need {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%w (start the sandbox with make sandbox; build helm with make helm)", err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "playk8s-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// One passphrase for the bench's engine and the playk8s processes it
	// times (wholeProcessPreview), as a user's shell would hold it.
	if err := os.Setenv("PULUMI_CONFIG_PASSPHRASE", "play-kubernetes bench"); err != nil {
		return err
	}
	eng, err := engine.New(ctx, engine.Options{Root: root, StateDir: filepath.Join(work, "state"), Progress: &utils.SyncBuffer{}})
	if err != nil {
		return err
	}
	b := &bench{
		eng: eng, root: root, work: work, kubeconfig: kubeconfig,
		kubectl: utils.Kubectl{Kubeconfig: kubeconfig}, helm: helmBin,
		results: &Results{Machine: machine(), Rounds: rounds, Started: time.Now().UTC()},
	}
	if err := b.prepare(ctx); err != nil {
		return err
	}
	defer b.close()
	steps := []struct {
		task, name string
		fn         func(context.Context, int) error
	}{
		{"cold", "cold deploy", b.coldDeploy},
		{"noop", "no-op preview (the engine call, then whole processes)", b.noop},
		{"image", "image change", b.imageChange},
		{"routing", "the chain with versions and routing rules against the default", b.routing},
	}
	for _, s := range steps {
		if !slices.Contains(tasks, s.task) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", s.name)
		if err := s.fn(ctx, rounds); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if growth != "" && slices.Contains(tasks, "growth") {
		fmt.Fprintln(os.Stderr, "bench: growth...")
		if err := b.growth(ctx, growth, rounds); err != nil {
			return fmt.Errorf("growth: %w", err)
		}
	}
	b.results.Finished = time.Now().UTC()
	return b.results.write(out, report)
}
