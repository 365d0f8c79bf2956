// Package engine runs play-kubernetes' stack under the real Pulumi engine
// through the Automation API, offline: the pinned Pulumi CLI and kubernetes
// provider come from .tools/ (built by `make tools`), plugins live in a
// private PULUMI_HOME, and nothing is downloaded at run time.
//
// The program is stack.Program, run inline, so no Go language host is needed
// (none can be obtained here); users with a normal Pulumi install can still
// run `pulumi up` from Pulumi.yaml, which runs the same program.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/blang/semver"
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/infra/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// ProjectName is Pulumi.yaml's name.
const ProjectName = "play-kubernetes"

// Options locate the project and where the engine keeps its state.
type Options struct {
	// Root is the project root (the directory of Pulumi.yaml).
	Root string
	// StateDir holds the file backend, PULUMI_HOME and the passphrase; default <Root>/.state.
	StateDir string
	// BackendURL overrides the file backend (e.g. Pulumi Cloud); default $PULUMI_BACKEND_URL or file://<StateDir>/backend.
	BackendURL string
	// Progress receives the engine's streamed output; nil discards it.
	Progress io.Writer
}

// Engine is a configured offline Pulumi engine.
type Engine struct {
	opts   Options
	layout Layout
	cli    auto.PulumiCommand
	// env is what every CLI run gets on top of the inherited environment;
	// the passphrase is added per stack (Stack).
	env map[string]string
}

// New prepares the engine: checks the tools are built, makes the private
// PULUMI_HOME and installs the provider plugin into it from the built binary.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Root == "" {
		return nil, errors.New("engine: project root is required")
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	l := NewLayout(opts)
	if l.BackendURL == "file://"+l.fileBackend() {
		if err := os.MkdirAll(l.fileBackend(), 0o755); err != nil {
			return nil, err
		}
	}
	for _, p := range []string{l.CLI, l.Provider} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("engine: %s is not built; run `make tools` first", p)
		}
	}
	version, err := semver.ParseTolerant(playk8s.Version("PULUMI_CLI_VERSION"))
	if err != nil {
		return nil, err
	}
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{
		Root:    filepath.Dir(filepath.Dir(l.CLI)), // the CLI is <Root>/bin/pulumi
		Version: version,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: pulumi CLI at %s: %w", l.CLI, err)
	}
	e := &Engine{opts: opts, layout: l, cli: cli, env: l.CLIEnv()}
	if err := e.installProvider(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// CLIEnv is the environment the pinned CLI needs to work offline on this
// project's stacks: the backend, the private PULUMI_HOME, and no update
// check or plugin download. None of it is secret (the passphrase is per
// stack: PassphraseFor), so `playk8s env` prints it for the user's shell.
func (l Layout) CLIEnv() map[string]string {
	return map[string]string{
		"PULUMI_BACKEND_URL":                          l.BackendURL,
		"PULUMI_HOME":                                 l.PulumiHome,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
}

// installProvider installs the built provider into the private PULUMI_HOME
// once; `pulumi plugin install --file` copies it in, no download.
func (e *Engine) installProvider(ctx context.Context) error {
	version := playk8s.Version("PULUMI_KUBERNETES_PROVIDER_VERSION")
	marker := filepath.Join(e.layout.PulumiHome, "plugins", "resource-kubernetes-v"+version, "pulumi-resource-kubernetes")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, e.layout.CLI, "plugin", "install", "resource", "kubernetes", version, "--file", e.layout.Provider)
	cmd.Env = os.Environ()
	for k, v := range e.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("engine: installing the kubernetes provider plugin: %w\n%s", err, out)
	}
	return nil
}

// Stack selects (or creates) a stack of the project in workDir, whose
// Pulumi.<name>.yaml supplies the configuration, running stack.Program inline.
func (e *Engine) Stack(ctx context.Context, name, workDir string) (auto.Stack, error) {
	opts, err := e.workspace(name, workDir)
	if err != nil {
		return auto.Stack{}, err
	}
	return auto.UpsertStackInlineSource(ctx, name, ProjectName, stack.Program, opts...)
}

// SelectExisting makes an existing stack of the project in workDir the
// CLI's current one, so `pulumi stack output` and the like need no -s; it
// reports false, and creates nothing, when the stack does not exist yet.
func (e *Engine) SelectExisting(ctx context.Context, name, workDir string) (bool, error) {
	opts, err := e.workspace(name, workDir)
	if err != nil {
		return false, err
	}
	_, err = auto.SelectStackInlineSource(ctx, name, ProjectName, stack.Program, opts...)
	if auto.IsSelectStack404Error(err) {
		return false, nil
	}
	return err == nil, err
}

// workspace is the Automation API workspace of a stack in workDir, with
// the passphrase its stack file calls for.
func (e *Engine) workspace(name, workDir string) ([]auto.LocalWorkspaceOption, error) {
	pass, err := e.layout.PassphraseFor(filepath.Join(workDir, "Pulumi."+name+".yaml"))
	if err != nil {
		return nil, err
	}
	env := maps.Clone(e.env)
	maps.Copy(env, pass.cliEnv())
	// No auto.Project: workDir's Pulumi.yaml is the project, and passing
	// one would make the workspace rewrite that file.
	return []auto.LocalWorkspaceOption{
		auto.WorkDir(workDir),
		auto.Pulumi(e.cli),
		auto.PulumiHome(e.layout.PulumiHome),
		auto.EnvVars(env),
		auto.SecretsProvider("passphrase"),
	}, nil
}

// Layout is where this engine's tools and state are.
func (e *Engine) Layout() Layout { return e.layout }

// Progress is where streamed engine output goes.
func (e *Engine) Progress() io.Writer { return e.opts.Progress }

// BackendURL is where stack state is kept.
func (e *Engine) BackendURL() string { return e.layout.BackendURL }

func prebuiltHint() string {
	return playk8s.Version("SAMPLE_APP_IMAGE")
}
