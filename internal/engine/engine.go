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
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

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
	opts       Options
	cli        auto.PulumiCommand
	pulumiHome string
	env        map[string]string
}

// Tools returns the paths `make tools` builds the pinned CLI and provider to.
func Tools(root string) (cli, provider string) {
	v := playk8s.Versions()
	cli = filepath.Join(root, ".tools", "pulumi-"+v["PULUMI_CLI_VERSION"], "bin", "pulumi")
	provider = filepath.Join(root, ".tools", "pulumi-resource-kubernetes-"+v["PULUMI_KUBERNETES_PROVIDER_VERSION"], "pulumi-resource-kubernetes")
	return cli, provider
}

// New prepares the engine: checks the tools are built, makes the private
// PULUMI_HOME and installs the provider plugin into it from the built binary.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Root == "" {
		return nil, errors.New("engine: project root is required")
	}
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(opts.Root, ".state")
	}
	if opts.BackendURL == "" {
		opts.BackendURL = os.Getenv("PULUMI_BACKEND_URL")
	}
	if opts.BackendURL == "" {
		backend := filepath.Join(opts.StateDir, "backend")
		if err := os.MkdirAll(backend, 0o755); err != nil {
			return nil, err
		}
		opts.BackendURL = "file://" + backend
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	cliPath, providerPath := Tools(opts.Root)
	for _, p := range []string{cliPath, providerPath} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("engine: %s is not built; run `make tools` first", p)
		}
	}
	version, err := semver.ParseTolerant(playk8s.Version("PULUMI_CLI_VERSION"))
	if err != nil {
		return nil, err
	}
	cli, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{
		Root:    filepath.Dir(filepath.Dir(cliPath)), // the CLI is <Root>/bin/pulumi
		Version: version,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: pulumi CLI at %s: %w", cliPath, err)
	}
	e := &Engine{opts: opts, cli: cli, pulumiHome: filepath.Join(opts.StateDir, "pulumi-home")}
	passphrase, err := e.passphrase()
	if err != nil {
		return nil, err
	}
	e.env = map[string]string{
		"PULUMI_BACKEND_URL":                          opts.BackendURL,
		"PULUMI_HOME":                                 e.pulumiHome,
		"PULUMI_CONFIG_PASSPHRASE":                    passphrase,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_IGNORE_AMBIENT_PLUGINS":               "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
	}
	if err := e.installProvider(ctx, cliPath, providerPath); err != nil {
		return nil, err
	}
	return e, nil
}

// passphrase is the secrets passphrase: $PULUMI_CONFIG_PASSPHRASE, or one
// generated once and kept (0600) in the state directory, so a local stack's
// secrets are encrypted without asking the user for anything.
func (e *Engine) passphrase() (string, error) {
	if p, ok := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE"); ok {
		return p, nil
	}
	path := filepath.Join(e.opts.StateDir, "passphrase")
	if raw, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(raw)), nil
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	if err := os.MkdirAll(e.opts.StateDir, 0o755); err != nil {
		return "", err
	}
	p := hex.EncodeToString(buf)
	return p, os.WriteFile(path, []byte(p+"\n"), 0o600)
}

// installProvider installs the built provider into the private PULUMI_HOME
// once; `pulumi plugin install --file` copies it in, no download.
func (e *Engine) installProvider(ctx context.Context, cliPath, providerPath string) error {
	version := playk8s.Version("PULUMI_KUBERNETES_PROVIDER_VERSION")
	marker := filepath.Join(e.pulumiHome, "plugins", "resource-kubernetes-v"+version, "pulumi-resource-kubernetes")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, cliPath, "plugin", "install", "resource", "kubernetes", version, "--file", providerPath)
	cmd.Env = e.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("engine: installing the kubernetes provider plugin: %w\n%s", err, out)
	}
	return nil
}

func (e *Engine) environ() []string {
	env := os.Environ()
	for k, v := range e.env {
		env = append(env, k+"="+v)
	}
	return env
}

// Stack selects (or creates) a stack of the project in workDir, whose
// Pulumi.<name>.yaml supplies the configuration, running stack.Program inline.
func (e *Engine) Stack(ctx context.Context, name, workDir string) (auto.Stack, error) {
	// No auto.Project: workDir's Pulumi.yaml is the project, and passing
	// one would make the workspace rewrite that file.
	return auto.UpsertStackInlineSource(ctx, name, ProjectName, stack.Program,
		auto.WorkDir(workDir),
		auto.Pulumi(e.cli),
		auto.PulumiHome(e.pulumiHome),
		auto.EnvVars(e.env),
		auto.SecretsProvider("passphrase"),
	)
}

// Progress is where streamed engine output goes.
func (e *Engine) Progress() io.Writer { return e.opts.Progress }

// BackendURL is where stack state is kept.
func (e *Engine) BackendURL() string { return e.opts.BackendURL }

// Root is the project root.
func (e *Engine) Root() string { return e.opts.Root }

func prebuiltHint() string {
	return playk8s.Version("SAMPLE_APP_IMAGE")
}
