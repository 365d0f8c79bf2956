package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// The namespaces the sandbox stack creates, and where the tutorial's way
// waits for rollouts.
var (
	stackNamespaces   = []string{"playground", "istio-system", "istio-cni"}
	rolloutNamespaces = []string{"playground", "istio-system"}
)

// release is one Helm release as the stack installs it, read from its state.
type release struct {
	Name, Namespace, Chart string
	ValuesFile             string
}

type bench struct {
	eng        *engine.Engine
	root, work string
	kubeconfig string
	kubectl    utils.Kubectl
	helm       string
	results    *Results

	scratch  *engine.Scratch
	rendered string // the stack's manifests, render mode (no Helm releases)
	releases []release
}

func (b *bench) overrides(ctx context.Context) (map[string]auto.ConfigValue, error) {
	charts, err := layout.IstioModuleCharts(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]auto.ConfigValue{
		"kubernetes:kubeconfig": {Value: b.kubeconfig},
		"istio:chartDir":        {Value: charts},
	}, nil
}

// prepare renders the stack's manifests, deploys it once (not measured) to
// read the Helm releases' charts and values from its state, and tears it
// down: both ways then deploy exactly the same objects.
func (b *bench) prepare(ctx context.Context) error {
	overrides, err := b.overrides(ctx)
	if err != nil {
		return err
	}
	render := map[string]auto.ConfigValue{}
	for k, v := range overrides {
		if k != "kubernetes:kubeconfig" {
			render[k] = v
		}
	}
	res, err := b.eng.Render(ctx, "sandbox", filepath.Join(b.work, "rendered"), render)
	if err != nil {
		return err
	}
	b.rendered = filepath.Join(res.Dir, "1-manifest")
	b.scratch, err = b.eng.NewScratch(ctx, "sandbox", overrides)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench: warm-up up (not measured)")
	if _, err := b.scratch.Stack.Up(ctx); err != nil {
		return fmt.Errorf("warm-up up: %w", err)
	}
	if b.releases, err = b.readReleases(ctx); err != nil {
		return err
	}
	return b.engineDown(ctx)
}

func (b *bench) close() {
	if b.scratch != nil {
		_, _ = b.scratch.Stack.Destroy(context.Background())
		_ = b.cleanCluster(context.Background())
		_ = b.scratch.Close()
	}
}

// readReleases reads each Helm release's chart, namespace and values from
// the stack's state, in the order the stack installs them.
func (b *bench) readReleases(ctx context.Context) ([]release, error) {
	exported, err := b.scratch.Stack.Export(ctx)
	if err != nil {
		return nil, err
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &d); err != nil {
		return nil, err
	}
	var out []release
	for _, r := range d.Resources {
		if string(r.Type) != "kubernetes:helm.sh/v3:Release" {
			continue
		}
		rel := release{}
		rel.Name, _ = r.Inputs["name"].(string)
		rel.Namespace, _ = r.Inputs["namespace"].(string)
		rel.Chart, _ = r.Inputs["chart"].(string)
		values, _ := r.Inputs["values"].(map[string]interface{})
		raw, err := json.Marshal(values)
		if err != nil {
			return nil, err
		}
		rel.ValuesFile = filepath.Join(b.work, "values-"+rel.Name+".json")
		if err := os.WriteFile(rel.ValuesFile, raw, 0o644); err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	if len(out) == 0 {
		return nil, errors.New("the stack's state holds no Helm releases")
	}
	return out, nil
}

// engineUp runs `up`, timing each resource from its first event to its outputs.
func (b *bench) engineUp(ctx context.Context, opts ...optup.Option) (time.Duration, map[string]time.Duration, error) {
	ch := make(chan events.EngineEvent)
	spans := map[string]time.Duration{}
	var mu sync.Mutex
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		began := map[string]time.Time{}
		for ev := range ch {
			now := time.Now()
			switch {
			case ev.ResourcePreEvent != nil:
				began[ev.ResourcePreEvent.Metadata.URN] = now
			case ev.ResOutputsEvent != nil:
				urn := ev.ResOutputsEvent.Metadata.URN
				if t, ok := began[urn]; ok && ev.ResOutputsEvent.Metadata.Op != apitype.OpSame {
					mu.Lock()
					spans[shortURN(urn)] = now.Sub(t)
					mu.Unlock()
				}
			}
		}
	}()
	_, err := b.scratch.Stack.Up(ctx, append(opts, optup.EventStreams(ch))...)
	elapsed := time.Since(start)
	<-done
	return elapsed, spans, err
}

// shortURN is "Kind name" from a URN's type and name.
func shortURN(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	typ := parts[len(parts)-2]
	if i := strings.LastIndex(typ, "$"); i >= 0 {
		typ = typ[i+1:]
	}
	if i := strings.LastIndex(typ, ":"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ + " " + parts[len(parts)-1]
}

func (b *bench) engineDown(ctx context.Context) error {
	if _, err := b.scratch.Stack.Destroy(ctx, optdestroy.ProgressStreams(b.eng.Progress())); err != nil {
		return fmt.Errorf("destroy: %w", err)
	}
	return b.cleanCluster(ctx)
}

// cleanCluster leaves the sandbox empty: the namespaces gone and Istio's
// CRDs (kept by Helm's resource policy) deleted, so the next cold deploy
// starts from nothing.
func (b *bench) cleanCluster(ctx context.Context) error {
	crds, err := b.kubectl.Run("get", "crd", "-o", "name")
	if err != nil {
		return err
	}
	var istio []string
	for _, c := range strings.Fields(crds) {
		if strings.HasSuffix(c, ".istio.io") {
			istio = append(istio, c)
		}
	}
	if len(istio) > 0 {
		if _, err := b.kubectl.Run(append([]string{"delete", "--wait=true"}, istio...)...); err != nil {
			return err
		}
	}
	for _, ns := range stackNamespaces {
		if _, err := b.kubectl.Run("delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=180s"); err != nil {
			return err
		}
	}
	return nil
}

// tutorialUp is the tutorial's way for the same objects: the namespaces,
// `helm install --wait` of each release in order, `kubectl apply` of the
// rendered manifests, then `kubectl rollout status` of every Deployment.
func (b *bench) tutorialUp(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	files, err := filepath.Glob(filepath.Join(b.rendered, "*_namespace-*.yaml"))
	if err != nil || len(files) == 0 {
		files, _ = filepath.Glob(filepath.Join(b.rendered, "*-namespace-*.yaml"))
	}
	for _, f := range files {
		if _, err := b.kubectl.Run("apply", "-f", f); err != nil {
			return 0, err
		}
	}
	for _, r := range b.releases {
		if err := b.run(ctx, b.helm, "install", r.Name, r.Chart, "-n", r.Namespace, "-f", r.ValuesFile,
			"--wait", "--timeout", "10m", "--kubeconfig", b.kubeconfig); err != nil {
			return 0, err
		}
	}
	if _, err := b.kubectl.Run("apply", "-R", "-f", b.rendered); err != nil {
		return 0, err
	}
	for _, ns := range rolloutNamespaces {
		deps, err := b.kubectl.Run("get", "deployments", "-n", ns, "-o", "name")
		if err != nil {
			return 0, err
		}
		for _, d := range strings.Fields(deps) {
			if _, err := b.kubectl.Run("rollout", "status", d, "-n", ns, "--timeout=5m"); err != nil {
				return 0, err
			}
		}
	}
	return time.Since(start), nil
}

func (b *bench) tutorialDown(ctx context.Context) error {
	for _, r := range slices.Backward(b.releases) {
		_ = b.run(ctx, b.helm, "uninstall", r.Name, "-n", r.Namespace, "--wait", "--kubeconfig", b.kubeconfig)
	}
	if _, err := b.kubectl.Run("delete", "-R", "-f", b.rendered, "--ignore-not-found", "--wait=false"); err != nil {
		return err
	}
	return b.cleanCluster(ctx)
}

func (b *bench) run(ctx context.Context, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return nil
}

// coldDeploy: from an empty cluster to everything ready, both ways.
func (b *bench) coldDeploy(ctx context.Context, rounds int) error {
	c := Comparison{
		Task:        "cold deploy",
		EngineHow:   "`up` of the sandbox stack from an empty cluster (program, engine, provider; every resource awaited)",
		TutorialHow: fmt.Sprintf("`kubectl apply` of the namespaces, `helm install --wait` of %s in order (Helm %s), `kubectl apply -R` of the rendered manifests, `kubectl rollout status` of every Deployment", releaseNames(b.releases), playk8s.Version("HELM_VERSION")),
		Target:      1.0,
	}
	slowest := map[string]*Sample{}
	for i := 0; i < rounds; i++ {
		engine := func() error {
			d, spans, err := b.engineUp(ctx)
			if err != nil {
				return err
			}
			c.Engine.add(d)
			for name, s := range spans {
				if slowest[name] == nil {
					slowest[name] = &Sample{}
				}
				slowest[name].add(s)
			}
			return b.engineDown(ctx)
		}
		tutorial := func() error {
			d, err := b.tutorialUp(ctx)
			if err != nil {
				return err
			}
			c.Tutorial.add(d)
			return b.tutorialDown(ctx)
		}
		if err := alternate(i, engine, tutorial); err != nil {
			return err
		}
	}
	b.results.Comparisons = append(b.results.Comparisons, c)
	var names []string
	for n := range slowest {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return slowest[names[i]].Median() > slowest[names[j]].Median() })
	for _, n := range names[:min(8, len(names))] {
		b.results.ColdUpSlowest = append(b.results.ColdUpSlowest, Slowest{Resource: n, Sample: *slowest[n]})
	}
	return nil
}

// noop: nothing to change, both ways asked what they would change: the
// engine call, then the whole processes (wholeProcessPreview).
func (b *bench) noop(ctx context.Context, rounds int) error {
	if _, _, err := b.engineUp(ctx); err != nil {
		return err
	}
	c := Comparison{
		Task:        "no-op preview",
		EngineHow:   "`preview` of the deployed stack (program evaluated, every resource diffed by server-side dry run)",
		TutorialHow: "`kubectl diff -R` of the rendered manifests",
		Target:      1.5,
	}
	for i := 0; i < rounds; i++ {
		engine := func() error {
			start := time.Now()
			res, err := b.scratch.Stack.Preview(ctx, optpreview.ProgressStreams(b.eng.Progress()))
			if err != nil {
				return err
			}
			if n := len(res.ChangeSummary) - 1; n > 0 || res.ChangeSummary[apitype.OpSame] == 0 {
				return fmt.Errorf("the no-op preview plans changes: %v", res.ChangeSummary)
			}
			c.Engine.add(time.Since(start))
			return nil
		}
		if err := alternate(i, engine, func() error { return b.kubectlDiff(ctx, &c) }); err != nil {
			return err
		}
	}
	b.results.Comparisons = append(b.results.Comparisons, c)
	return b.wholeProcessPreview(ctx, rounds)
}

// wholeProcessPreview: the no-op preview as a user types it, a whole
// process from start to exit, against `kubectl diff`'s whole process: once
// as `go run ./cmd/playk8s preview` (go's staleness check of the program's
// packages on every run), once as the built playk8s binary, which is what
// `make preview` runs (.tools/bin/playk8s, relinked by make when a source
// changed), once as the standard `pulumi preview`. All read the scratch
// stack's directory and backend, the way the make targets read the
// project's.
// The stack is deployed (noop, which runs this after the engine call).
func (b *bench) wholeProcessPreview(ctx context.Context, rounds int) error {
	// playk8s -root finds the built tools under the root it is given.
	link := layout.New(b.scratch.Dir()).ToolsDir()
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(layout.New(b.root).ToolsDir(), link); err != nil {
			return err
		}
	}
	bin := filepath.Join(b.work, "playk8s")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/playk8s")
	build.Dir = b.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/playk8s: %w\n%s", err, out)
	}
	host := filepath.Join(b.work, "golanghost", "pulumi-language-go")
	build = exec.CommandContext(ctx, "go", "build", "-o", host, "./test/golanghost")
	build.Dir = b.root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./test/golanghost: %w\n%s", err, out)
	}
	// The standard path's environment: the pinned CLI and the stand-in Go
	// language host first on PATH, the bench engine's PULUMI_HOME.
	standardEnv := []string{"PATH=" + filepath.Dir(host) + string(os.PathListSeparator) + filepath.Dir(b.eng.Layout().CLI) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for k, v := range b.eng.Layout().CLIEnv() {
		standardEnv = append(standardEnv, k+"="+v)
	}
	// A language host on PATH is ambient: let the CLI find the stand-in.
	standardEnv = append(standardEnv, "PULUMI_IGNORE_AMBIENT_PLUGINS=false")
	args := []string{"preview", "-stack", "sandbox", "-root", b.scratch.Dir()}
	for _, way := range []struct {
		task, how string
		argv      []string
		env       []string
	}{
		{"no-op preview, whole `go run` process", "`go run ./cmd/playk8s preview` from start to exit (go's staleness check, CLI and provider start-up, preflight, the program, the diff)",
			append([]string{"go", "run", "./cmd/playk8s"}, args...), nil},
		{"no-op preview, whole playk8s process", "the built `playk8s preview` from start to exit, what `make preview` runs (no go run)", append([]string{bin}, args...), nil},
		{"no-op preview, standard `pulumi preview`", "`pulumi preview -s sandbox` in the checkout from start to exit: the CLI, the Go language host's `go build` of infra/ to Pulumi.yaml's buildTarget (test/golanghost stands in for pulumi-language-go), the program, the diff",
			[]string{b.eng.Layout().CLI, "preview", "--stack", "sandbox", "--non-interactive", "--expect-no-changes", "--config-file", filepath.Join(b.scratch.Dir(), "Pulumi.sandbox.yaml")}, standardEnv},
	} {
		c := Comparison{Task: way.task, EngineHow: way.how, TutorialHow: "`kubectl diff -R` of the rendered manifests, from start to exit", Target: 1.0}
		for i := 0; i < rounds; i++ {
			engine := func() error {
				cmd := exec.CommandContext(ctx, way.argv[0], way.argv[1:]...)
				cmd.Dir = b.root
				cmd.Env = append(append(os.Environ(), way.env...), "PULUMI_BACKEND_URL="+b.scratch.BackendURL(), "KUBECONFIG="+b.kubeconfig)
				start := time.Now()
				out, err := cmd.CombinedOutput()
				if err != nil {
					return fmt.Errorf("%s: %w\n%s", strings.Join(way.argv, " "), err, out)
				}
				c.Engine.add(time.Since(start))
				return nil
			}
			if err := alternate(i, engine, func() error { return b.kubectlDiff(ctx, &c) }); err != nil {
				return err
			}
		}
		b.results.Comparisons = append(b.results.Comparisons, c)
	}
	return nil
}

// kubectlDiff times one `kubectl diff -R` of the rendered manifests into
// the comparison's tutorial side.
func (b *bench) kubectlDiff(ctx context.Context, c *Comparison) error {
	kubectl, err := utils.KubectlBinary()
	if err != nil {
		return err
	}
	start := time.Now()
	// Exit code 1 means differences were found (server-set fields); >1 is an error.
	out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", b.kubeconfig, "diff", "-R", "-f", b.rendered).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return fmt.Errorf("kubectl diff: %w\n%s", err, out)
	}
	c.Tutorial.add(time.Since(start))
	return nil
}

// imageChange: a new web server image rolled out and awaited, both ways.
// The sandbox has two web server images (nothing can be pulled): each
// step sets the one the live Deployment does not run, so every one is a
// real rollout of real pods. After kubectl's step the Deployment is set
// back, unmeasured, to what the stack's state says it runs, so the
// engine's next change is a real rollout too.
func (b *bench) imageChange(ctx context.Context, rounds int) error {
	images := [2]string{playk8s.Version("SANDBOX_NGINX_IMAGE"), playk8s.Version("SANDBOX_NGINX_UPDATE_IMAGE")}
	configured, err := b.scratch.Stack.GetConfig(ctx, "webserver:image")
	if err != nil {
		return err
	}
	live := configured.Value
	other := func(image string) string {
		if image == images[0] {
			return images[1]
		}
		return images[0]
	}
	c := Comparison{
		Task:        "image change",
		EngineHow:   "`up` after `webserver:image` changed (program, diff of every resource, the Deployment's rollout of real pods awaited)",
		TutorialHow: "`kubectl set image deployment/webserver` and `kubectl rollout status`",
		Target:      1.2,
	}
	if _, _, err := b.engineUp(ctx); err != nil { // deployed, as after the no-op step
		return err
	}
	setImage := func(image string) error {
		if _, err := b.kubectl.Run("set", "image", "deployment/webserver", "nginx="+image, "-n", "playground"); err != nil {
			return err
		}
		_, err := b.kubectl.Run("rollout", "status", "deployment/webserver", "-n", "playground", "--timeout=5m")
		return err
	}
	for i := 0; i < rounds; i++ {
		engine := func() error {
			next := other(live)
			if err := b.scratch.Stack.SetConfig(ctx, "webserver:image", auto.ConfigValue{Value: next}); err != nil {
				return err
			}
			d, _, err := b.engineUp(ctx)
			if err != nil {
				return err
			}
			live = next
			c.Engine.add(d)
			return nil
		}
		tutorial := func() error {
			start := time.Now()
			if err := setImage(other(live)); err != nil {
				return err
			}
			c.Tutorial.add(time.Since(start))
			return setImage(live)
		}
		if err := alternate(i, engine, tutorial); err != nil {
			return err
		}
	}
	b.results.Comparisons = append(b.results.Comparisons, c)
	if err := b.scratch.Stack.SetConfig(ctx, "webserver:image", configured); err != nil {
		return err
	}
	return b.engineDown(ctx)
}

// growth deploys the stack from empty with longer chains.
func (b *bench) growth(ctx context.Context, lengths string, rounds int) error {
	defer b.scratch.Stack.RemoveConfig(ctx, "chain:hops")
	for _, field := range strings.Split(lengths, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(field), &n); err != nil || n < 1 {
			return fmt.Errorf("chain length %q", field)
		}
		var hops []string
		for i := 1; i <= n; i++ {
			hops = append(hops, fmt.Sprintf("h%02d", i))
		}
		raw, _ := json.Marshal(hops)
		if err := b.scratch.Stack.SetConfig(ctx, "chain:hops", auto.ConfigValue{Value: string(raw)}); err != nil {
			return err
		}
		g := Growth{Hops: n}
		d, _, err := b.engineUp(ctx)
		if err != nil {
			return err
		}
		g.Up.add(d)
		for i := 0; i < rounds; i++ {
			start := time.Now()
			res, err := b.scratch.Stack.Preview(ctx)
			if err != nil {
				return err
			}
			g.Preview.add(time.Since(start))
			g.Resources = 0
			for _, count := range res.ChangeSummary {
				g.Resources += count
			}
		}
		b.results.Growth = append(b.results.Growth, g)
		if err := b.engineDown(ctx); err != nil {
			return err
		}
	}
	return nil
}

// alternate runs both ways, the engine first in even rounds and second in odd ones.
func alternate(round int, engine, tutorial func() error) error {
	first, second := engine, tutorial
	if round%2 == 1 {
		first, second = tutorial, engine
	}
	if err := first(); err != nil {
		return err
	}
	return second()
}

func releaseNames(rs []release) string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}
