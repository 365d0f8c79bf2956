package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/configset"
	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/preflight"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"k8s.io/client-go/rest"
)

// invocation is one run of a command: its flags, and what each step
// leaves for the next.
type invocation struct {
	ctx            context.Context
	cmd            command
	opts           options
	layout         engine.Layout // where tools and state are: known before the engine starts, which opens on it
	stdout, stderr io.Writer

	eng        *engine.Engine       // engine
	values     map[string]string    // stack file: its config, with -set overrides
	secure     []string             // stack file: its secure keys and secret overrides
	target     clustertarget.Target // cluster
	restConfig *rest.Config         // cluster
	stack      auto.Stack           // stack
}

// step is one stage of a command.
type step struct {
	name string
	run  func(*invocation) error
}

// steps are what a command runs, in order: each property of its row adds
// its step, and the command itself runs last. Every command checks what
// it can before it changes anything, so a refusal changes nothing.
func (c command) steps() []step {
	var s []step
	if c.engine {
		s = append(s, step{"engine", openEngine})
	}
	if c.validate != noValidation || c.cluster {
		s = append(s, step{"stack file", loadStackFile})
	}
	if c.validate != noValidation {
		s = append(s, step{"validate", validateStackFile})
	}
	if c.cluster {
		s = append(s, step{"cluster", checkCluster})
	}
	if c.stack {
		s = append(s, step{"stack", selectStack})
	}
	if c.recovers {
		s = append(s, step{"recover", recoverInterrupted})
	}
	return append(s, step{c.name, c.run})
}

// openEngine starts the offline engine (the pinned CLI, the provider in
// the private PULUMI_HOME) on the invocation's layout, so that the
// invocation's steps and the engine find the same tools and state.
func openEngine(inv *invocation) error {
	l := inv.layout
	eng, err := engine.New(inv.ctx, engine.Options{Root: l.Root, StateDir: l.StateDir, BackendURL: l.BackendURL, Progress: inv.stdout})
	inv.eng = eng
	return err
}

// loadStackFile reads Pulumi.<stack>.yaml, the file `pulumi config set`
// writes, with the command's -set overrides on top, set as the engine
// will set them (`pulumi config set-all --path`): a path changes only its
// field of the stack's object, and the checks judge the whole result.
func loadStackFile(inv *invocation) error {
	path := inv.layout.StackFile(inv.opts.stack)
	values, secure, err := stackfile.LoadWithSecrets(path)
	if err != nil {
		return err
	}
	if len(inv.opts.sets) > 0 {
		cfg, err := stackfile.Config(path)
		if err != nil {
			return err
		}
		changed, err := configset.Apply(cfg, inv.opts.sets)
		if err != nil {
			return fmt.Errorf("stack %s: %w", inv.opts.stack, err)
		}
		// An override replaces a value stored encrypted with its own,
		// secret or not.
		secure = slices.DeleteFunc(secure, func(k string) bool { _, ok := changed[k]; return ok })
		for k, v := range changed {
			values[k] = v.Raw
			if v.Secret {
				secure = append(secure, k)
			}
		}
	}
	inv.values, inv.secure = values, secure
	return nil
}

// validateStackFile refuses a stack file the program would refuse, and,
// for commands that run the program, one needing a plugin the offline
// engine lacks.
func validateStackFile(inv *invocation) error {
	return inv.layout.ValidateStackFile(inv.values, inv.secure, inv.cmd.validate == validateForProgram)
}

// checkCluster refuses an unreachable cluster, refused credentials, and a
// user who may not do to namespaces what the command does.
func checkCluster(inv *invocation) error {
	target, restConfig, err := clustertarget.RESTConfig(inv.values)
	if err != nil {
		return fmt.Errorf("stack %s: %w", inv.opts.stack, err)
	}
	if err := preflight.Reachable(inv.ctx, target, 5*time.Second); err != nil {
		return fmt.Errorf("stack %s: %w", inv.opts.stack, err)
	}
	if err := preflight.Authorized(inv.ctx, target, restConfig, 10*time.Second, inv.cmd.namespaces); err != nil {
		return fmt.Errorf("stack %s: %w", inv.opts.stack, err)
	}
	inv.target, inv.restConfig = target, restConfig
	return nil
}

// selectStack selects the stack, creating it on its first run.
func selectStack(inv *invocation) error {
	s, err := inv.eng.Stack(inv.ctx, inv.opts.stack, inv.layout.Root)
	inv.stack = s
	return err
}
