// Command golanghost stands in for pulumi-language-go, the Go language host
// a normal Pulumi install runs `pulumi preview` and `pulumi up` through,
// which no registry reachable here serves. Installed on PATH as
// pulumi-language-go, it lets the pinned CLI run the program the standard
// way, from Pulumi.yaml and infra/, so the tests and benchmarks exercise
// that path: the project's runtime options, the program's build and its run.
//
// It does what pulumi-language-go does for a preview or an up, in the same
// way (its compileProgram and Run): `go build -o <buildTarget>` in the
// program's directory, or to a new temporary file without a buildTarget,
// then the binary with the engine's PULUMI_* environment, in the directory
// the engine gives. What it does differently, so the offline checkout works:
// it reports as required only the resource plugins installed in PULUMI_HOME
// (the real host reports every Pulumi SDK the program imports, and the CLI
// would try to download pulumi-docker's and pulumi-random's), and it
// implements nothing but what preview, up, destroy and refresh call.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/constant"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

func main() {
	// The CLI passes these flags to every Go language host; the real one
	// ignores them too (they are runtime options now).
	for _, f := range []string{"tracing", "binary", "buildTarget", "root"} {
		flag.String(f, "", "ignored")
	}
	flag.Parse()
	if err := serve(flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "golanghost:", err)
		os.Exit(1)
	}
}

// serve answers the engine on a port the kernel chooses and prints it, as
// every language plugin does.
func serve(engineAddress string) error {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{engineAddress: engineAddress})
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Println(handle.Port)
	return <-handle.Done
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: "0.0.0-golanghost"}, nil
}

// GetRequiredPackages reports the installed resource plugins the program's
// Pulumi SDKs name (their pulumi-plugin.json).
func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := requiredPlugins(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	var out []*pulumirpc.PackageDependency
	for _, p := range plugins {
		out = append(out, &pulumirpc.PackageDependency{Kind: "resource", Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: out}, nil
}

// Run builds the program as pulumi-language-go does and runs it.
func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	target, _ := req.GetInfo().GetOptions().AsMap()["buildTarget"].(string)
	bin, err := build(req.GetInfo().GetProgramDirectory(), target)
	if err != nil {
		return nil, err
	}
	if target == "" {
		defer os.Remove(bin)
	}
	cmd := exec.Command(bin)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), h.environment(req)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == constant.ExitStatusLoggedError:
		// The program reported its error to the engine already.
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}

// build is pulumi-language-go's compileProgram: `go build -o outfile` in
// the program's directory, to a new temporary file when there is no
// buildTarget. A relative buildTarget is relative to that directory.
func build(programDir, outfile string) (string, error) {
	if outfile == "" {
		f, err := os.CreateTemp("", "pulumi-go.*")
		if err != nil {
			return "", err
		}
		f.Close()
		outfile = f.Name()
	}
	cmd := exec.Command("go", "build", "-o", outfile)
	cmd.Dir = programDir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("unable to run `go build`: %w", err)
	}
	if !filepath.IsAbs(outfile) {
		outfile = filepath.Join(programDir, outfile)
	}
	return outfile, nil
}

// environment is how the engine's RunRequest reaches the program: the
// PULUMI_* variables pulumi.Run reads.
func (h *host) environment(req *pulumirpc.RunRequest) []string {
	config, _ := json.Marshal(req.GetConfig())
	secretKeys, _ := json.Marshal(req.GetConfigSecretKeys())
	if req.GetConfigSecretKeys() == nil {
		secretKeys = []byte("[]")
	}
	vars := map[string]string{
		pulumi.EnvOrganization:        req.GetOrganization(),
		pulumi.EnvProject:             req.GetProject(),
		pulumi.EnvPulumiRootDirectory: req.GetInfo().GetRootDirectory(),
		pulumi.EnvStack:               req.GetStack(),
		pulumi.EnvConfig:              string(config),
		pulumi.EnvConfigSecretKeys:    string(secretKeys),
		pulumi.EnvDryRun:              strconv.FormatBool(req.GetDryRun()),
		pulumi.EnvParallel:            strconv.Itoa(int(req.GetParallel())),
		pulumi.EnvMonitor:             req.GetMonitorAddress(),
		pulumi.EnvEngine:              h.engineAddress,
	}
	var env []string
	for k, v := range vars {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// plugin is one resource plugin a Pulumi SDK asks for.
type plugin struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
}

// requiredPlugins reads the pulumi-plugin.json of every package the
// program imports and keeps the plugins installed in PULUMI_HOME.
func requiredPlugins(programDir string) ([]plugin, error) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.Dir}}", ".")
	cmd.Dir = programDir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	seen := map[string]bool{}
	var plugins []plugin
	// One directory a line. FieldsFunc, unlike Split, yields no empty
	// line, which would name the working directory.
	for _, dir := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' }) {
		raw, err := os.ReadFile(filepath.Join(dir, "pulumi-plugin.json"))
		if err != nil {
			continue
		}
		var p plugin
		if json.Unmarshal(raw, &p) != nil || !p.Resource || seen[p.Name] {
			continue
		}
		seen[p.Name] = true
		if installed(p) {
			plugins = append(plugins, p)
		}
	}
	return plugins, nil
}

// installed is whether PULUMI_HOME holds the plugin at its version.
func installed(p plugin) bool {
	v, err := semver.ParseTolerant(p.Version)
	if err != nil {
		return false
	}
	home := os.Getenv("PULUMI_HOME")
	if home == "" {
		return false
	}
	_, err = os.Stat(filepath.Join(home, "plugins", fmt.Sprintf("resource-%s-v%s", p.Name, v)))
	return err == nil
}
