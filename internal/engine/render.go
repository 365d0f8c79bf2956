package engine

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/configset"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"sigs.k8s.io/yaml"
)

// RenderKey is the kubernetes provider's render mode: manifests are written
// to this directory instead of being applied; no cluster is contacted.
const RenderKey = "kubernetes:renderYamlToDirectory"

// Scratch is a copy of a stack in a throwaway work directory and backend:
// running it touches neither the stack's file nor its state.
type Scratch struct {
	Stack auto.Stack
	dir   string
}

// Dir is the scratch work directory: a project root holding Pulumi.yaml
// and the stack file, for a CLI run with -root.
func (s *Scratch) Dir() string { return s.dir }

// BackendURL is the scratch stack's file backend.
func (s *Scratch) BackendURL() string { return "file://" + filepath.Join(s.dir, ".backend") }

// Close removes the scratch directory and its state.
func (s *Scratch) Close() error { return os.RemoveAll(s.dir) }

// NewScratch copies Pulumi.yaml and Pulumi.<stackName>.yaml to a temporary
// directory, creates the stack there in a temporary file backend, and sets
// overrides on it (secret overrides are encrypted like any stack secret).
// An override's key may be a path, as `pulumi config set --path` takes it
// (istio:ingress.api): it changes that field of the stack's value.
func (e *Engine) NewScratch(ctx context.Context, stackName string, overrides map[string]auto.ConfigValue) (*Scratch, error) {
	// set-all is given the overrides in map order: of two overlapping keys
	// (a:b and a:b.c) either could land last, so they are refused.
	if _, err := configset.ParseKeys(slices.Collect(maps.Keys(overrides))); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "playk8s-scratch-")
	if err != nil {
		return nil, err
	}
	s := &Scratch{dir: dir}
	// The program runs inline, so the copy drops `main` (infra/ is not copied).
	err = copyYAML(filepath.Join(e.layout.Root, "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"), func(file map[string]interface{}) {
		delete(file, "main")
	})
	if err == nil {
		err = copyStackFile(e.layout.StackFile(stackName), filepath.Join(dir, "Pulumi."+stackName+".yaml"))
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, ".backend"), 0o755); err != nil {
		s.Close()
		return nil, err
	}
	s.Stack, err = e.WithBackend(s.BackendURL()).Stack(ctx, stackName, dir)
	if err != nil {
		s.Close()
		return nil, err
	}
	if len(overrides) > 0 {
		if err := s.Stack.SetAllConfigWithOptions(ctx, auto.ConfigMap(overrides), &auto.ConfigOptions{Path: true}); err != nil {
			s.Close()
			return nil, err
		}
	}
	if _, rendering := overrides[RenderKey]; rendering {
		// The provider refuses a cluster selection in render mode.
		if err := s.removeConfig(ctx, "kubernetes:context", "kubernetes:kubeconfig"); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Scratch) removeConfig(ctx context.Context, keys ...string) error {
	all, err := s.Stack.GetAllConfig(ctx)
	if err != nil {
		return err
	}
	var present []string
	for _, k := range keys {
		if _, ok := all[k]; ok {
			present = append(present, k)
		}
	}
	if len(present) == 0 {
		return nil
	}
	return s.Stack.RemoveAllConfig(ctx, present)
}

// RenderResult says what a render wrote.
type RenderResult struct {
	Dir   string
	Files []string // relative to Dir
	// NotRendered are the Helm releases render mode cannot write.
	NotRendered []string
}

// Render writes the stack's manifests to dir with the provider's render
// mode, in a scratch copy of the stack. overrides replace config values,
// e.g. a prebuilt image where a docker build's plugin cannot run; a key
// may be a path (NewScratch).
//
// dir is checked before anything runs (checkRenderDir: a new or empty
// directory, or one an earlier render wrote, never the project, its state
// or the user's home). The provider writes into a scratch directory, and
// only a render that succeeded replaces the earlier render's files, so a
// failed one leaves dir as it was.
func (e *Engine) Render(ctx context.Context, stackName, dir string, overrides map[string]auto.ConfigValue) (*RenderResult, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	target, err := checkRenderDir(dir, e.layout.renderGuards())
	if err != nil {
		return nil, err
	}
	scratchOut, err := os.MkdirTemp("", "playk8s-render-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratchOut)
	all := map[string]auto.ConfigValue{RenderKey: {Value: scratchOut}}
	for k, v := range overrides {
		all[k] = v
	}
	s, err := e.NewScratch(ctx, stackName, all)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", stackName, err)
	}
	defer s.Close()
	up, err := s.Stack.Up(ctx, optup.ProgressStreams(e.opts.Progress))
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", stackName, err)
	}
	fresh, err := ListRendered(scratchOut)
	if err != nil {
		return nil, err
	}
	if err := target.replace(scratchOut, fresh.Files); err != nil {
		return nil, fmt.Errorf("render %s: %w", stackName, err)
	}
	res := &RenderResult{Dir: dir, Files: fresh.Files}
	if out, ok := up.Outputs[stackoutput.NotRendered]; ok {
		if names, ok := out.Value.([]interface{}); ok {
			for _, n := range names {
				res.NotRendered = append(res.NotRendered, fmt.Sprint(n))
			}
		}
	}
	return res, nil
}

// ListRendered lists the manifest files under a render directory: those
// in the render's own directories, not its marker or a user's files beside them.
func ListRendered(dir string) (*RenderResult, error) {
	res := &RenderResult{Dir: dir}
	for _, out := range renderOutputs {
		files, err := filesUnder(dir, out)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
	}
	sort.Strings(res.Files)
	return res, nil
}

// WithBackend is the same engine with another state backend.
func (e *Engine) WithBackend(url string) *Engine {
	c := *e
	c.env = maps.Clone(e.env)
	c.env["PULUMI_BACKEND_URL"] = url
	c.layout.BackendURL = url
	return &c
}

// Summary lists the rendered files.
func (r *RenderResult) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rendered %d manifests to %s\n", len(r.Files), r.Dir)
	for _, f := range r.Files {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	if len(r.NotRendered) > 0 {
		fmt.Fprintf(&b, "not rendered: the Helm releases %s. The kubernetes provider installs a\n"+
			"helm.v3.Release through a live cluster's Helm client, so render mode cannot write it;\n"+
			"render those charts with `helm template` (same chart versions and values).\n", strings.Join(r.NotRendered, ", "))
	}
	return b.String()
}

// copyStackFile copies a stack file without its secrets setup: the scratch
// stack makes its own salt with this engine's passphrase, so the original's
// salt and the values encrypted with it are left out (overrides supply what
// a run needs).
func copyStackFile(from, to string) error {
	return copyYAML(from, to, func(file map[string]interface{}) {
		for _, k := range []string{"encryptionsalt", "secretsprovider", "encryptedkey"} {
			delete(file, k)
		}
		if cfg, ok := file["config"].(map[string]interface{}); ok {
			for k, v := range cfg {
				if m, ok := v.(map[string]interface{}); ok && len(m) == 1 && m["secure"] != nil {
					delete(cfg, k)
				}
			}
		}
	})
}

// copyYAML copies a YAML mapping file, edited on the way.
func copyYAML(from, to string, edit func(map[string]interface{})) error {
	raw, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	var file map[string]interface{}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	edit(file)
	out, err := yaml.Marshal(file)
	if err != nil {
		return err
	}
	return os.WriteFile(to, out, 0o644)
}
