// Command playk8s deploys play-kubernetes' stack with the real Pulumi engine
// through the Automation API, offline and without a Pulumi account:
//
//	playk8s preview|up|destroy|refresh [-stack dev] [-refresh]
//	playk8s render [-stack dev] [-dir rendered/dev] [-set key=value ...]
//	playk8s verify [-stack dev] [-api-only]
//
// State goes to a file backend in .state/ (PULUMI_BACKEND_URL overrides it,
// so Pulumi Cloud users keep theirs); secrets use a passphrase (kept in
// .state/passphrase unless PULUMI_CONFIG_PASSPHRASE is set).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/preflight"
	"github.com/play-kubernetes/play-kubernetes/internal/recovery"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const usage = `usage: playk8s <preview|up|destroy|refresh|render> [flags]

  preview   show what up would change (the diff)
  up        create or update the stack
  destroy   delete everything the stack created
  refresh   read the cluster's state into the stack's state
  render    write the stack as plain manifests, no cluster needed
  verify    check the deployed stack: workloads, routing, traffic, traces, metrics
`

// setFlags collects repeated -set key=value flags.

type setFlags map[string]auto.ConfigValue

func (s setFlags) String() string     { return fmt.Sprint(len(s), " values") }
func (s setFlags) Set(v string) error { return s.set(v, false) }

func (s setFlags) set(v string, secret bool) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !strings.Contains(k, ":") {
		return fmt.Errorf("want namespace:key=value, got %q", v)
	}
	s[k] = auto.ConfigValue{Value: val, Secret: secret}
	return nil
}

// secretFlags adds -set-secret values to the same overrides.
type secretFlags setFlags

func (s secretFlags) String() string     { return setFlags(s).String() }
func (s secretFlags) Set(v string) error { return setFlags(s).set(v, true) }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "playk8s:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	command := os.Args[1]
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	stackName := fs.String("stack", envOr("STACK", "dev"), "the stack (one per environment: Pulumi.<stack>.yaml)")
	root := fs.String("root", ".", "the project root (the directory of Pulumi.yaml)")
	refresh := fs.Bool("refresh", false, "refresh the state from the cluster first (preview, up)")
	dir := fs.String("dir", "", "render: output directory (default rendered/<stack>)")
	apiOnly := fs.Bool("api-only", false, "verify: run only the API-level checks")
	wait := fs.Duration("wait", 2*time.Minute, "verify: how long to wait for traces and metrics to show up")
	sets := setFlags{}
	fs.Var(sets, "set", "render: override a config value, namespace:key=value (repeatable)")
	fs.Var(secretFlags(sets), "set-secret", "render: override a config value as a secret (repeatable)")
	if err := fs.Parse(os.Args[2:]); err != nil {
		return err
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return err
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	eng, err := engine.New(ctx, engine.Options{Root: absRoot, Progress: os.Stdout})
	if err != nil {
		return err
	}

	cfg, secureKeys, err := stackfile.LoadWithSecrets(filepath.Join(absRoot, "Pulumi."+*stackName+".yaml"))
	if err != nil {
		return err
	}
	if command == "render" {
		out := *dir
		if out == "" {
			out = filepath.Join(absRoot, "rendered", *stackName)
		}
		secrets := secureKeys
		for k, v := range sets {
			cfg[k] = v.Value
			if v.Secret {
				secrets = append(secrets, k)
			}
		}
		if err := eng.CheckPlugins(cfg, secrets...); err != nil {
			return err
		}
		res, err := eng.Render(ctx, *stackName, out, sets)
		if err != nil {
			return err
		}
		fmt.Print(res.Summary())
		return nil
	}

	switch command {
	case "preview", "up", "destroy", "refresh", "verify":
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", command)
	}
	if command != "verify" {
		if err := eng.CheckPlugins(cfg, secureKeys...); err != nil {
			return err
		}
	}
	target, restConfig, err := preflight.RESTConfig(cfg)
	if err != nil {
		return fmt.Errorf("stack %s: %w", *stackName, err)
	}
	if err := preflight.Reachable(ctx, target, 5*time.Second); err != nil {
		return fmt.Errorf("stack %s: %w", *stackName, err)
	}
	// What the command does to the cluster's namespaces, if anything.
	verb := map[string]string{"up": "create", "destroy": "delete"}[command]
	if err := preflight.Authorized(ctx, target, restConfig, 10*time.Second, verb); err != nil {
		return fmt.Errorf("stack %s: %w", *stackName, err)
	}
	s, err := eng.Stack(ctx, *stackName, absRoot)
	if err != nil {
		return err
	}
	if command == "verify" {
		return verifyStack(ctx, s, restConfig, verify.Options{APIOnly: *apiOnly, Wait: *wait})
	}
	if command != "preview" {
		if err := recoverInterrupted(ctx, eng, s, restConfig); err != nil {
			return fmt.Errorf("stack %s: %w", *stackName, err)
		}
	}
	return operate(ctx, s, command, *refresh)
}

// recoverInterrupted clears what a killed run left behind (its lock, Helm
// releases left pending), so this run starts without manual repair.
func recoverInterrupted(ctx context.Context, eng *engine.Engine, s auto.Stack, restConfig *rest.Config) error {
	kube, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return err
	}
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	report, err := recovery.Recover(ctx, recovery.Args{
		Stack: s, BackendURL: eng.BackendURL(), Project: engine.ProjectName, Kube: kube, Host: host,
	})
	if err != nil {
		return err
	}
	for _, line := range report.Repairs {
		fmt.Println("recovered:", line)
	}
	return nil
}

// verifyStack runs the deployed stack's checks and prints the report; any
// failed check makes it an error.
func verifyStack(ctx context.Context, s auto.Stack, restConfig *rest.Config, opts verify.Options) error {
	outputs, err := s.Outputs(ctx)
	if err != nil {
		return err
	}
	values := map[string]interface{}{}
	for k, v := range outputs {
		values[k] = v.Value
	}
	cluster, err := verify.NewCluster(restConfig)
	if err != nil {
		return err
	}
	report, err := verify.Run(ctx, cluster, verify.TargetFromOutputs(values), opts)
	if err != nil {
		return err
	}
	if err := report.Write(os.Stdout); err != nil {
		return err
	}
	if failed := report.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d of %d checks failed", len(failed), len(report.Results))
	}
	return nil
}

func operate(ctx context.Context, s auto.Stack, command string, refresh bool) error {
	progress := optup.ProgressStreams(os.Stdout)
	switch command {
	case "preview":
		opts := []optpreview.Option{optpreview.Diff(), optpreview.ProgressStreams(os.Stdout)}
		if refresh {
			opts = append(opts, optpreview.Refresh())
		}
		res, err := s.Preview(ctx, opts...)
		if err != nil {
			return err
		}
		fmt.Printf("\nchanges: %v\n", res.ChangeSummary)
	case "up":
		opts := []optup.Option{progress}
		if refresh {
			opts = append(opts, optup.Refresh())
		}
		res, err := s.Up(ctx, opts...)
		if err != nil {
			return err
		}
		fmt.Println("\noutputs:")
		for name, out := range res.Outputs {
			value := out.Value
			if out.Secret {
				value = "[secret]"
			}
			fmt.Printf("  %-24s %v\n", name, value)
		}
	case "destroy":
		if _, err := s.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout)); err != nil {
			return err
		}
	case "refresh":
		if _, err := s.Refresh(ctx, optrefresh.ProgressStreams(os.Stdout)); err != nil {
			return err
		}
	}
	return nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
