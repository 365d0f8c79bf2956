package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/doctor"
	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// runDoctor checks this machine for the next `make up` of the stack and
// prints every finding; any problem makes it an error (a non-zero exit).
// It needs nothing built: it is what to run when something is not.
func runDoctor(inv *invocation) error {
	l := inv.layout
	stack := inv.opts.stack
	values, secure, loadErr := stackfile.LoadWithSecrets(l.StackFile(stack))
	report := doctor.Run(inv.ctx, doctor.Host{}, doctor.Input{
		Root: l.Root, Plan: toolbuild.Steps(),
		Stack: stack, StackFile: l.StackFile(stack), Stacks: stacksIn(l.Root),
		Values: values, Secure: secure, LoadErr: loadErr,
		Validate: func(values map[string]string, secure []string) error {
			return l.ValidateStackFile(values, secure, true) // what `make up` checks
		},
		Kubeconfig: l.Kubeconfig(stack), SandboxKubeconfig: l.SandboxKubeconfig(),
	})
	if err := report.Write(inv.stdout); err != nil {
		return err
	}
	if n := report.Problems(); n > 0 {
		return fmt.Errorf("doctor found %d problem(s) for stack %s; each names the command that fixes it", n, stack)
	}
	return nil
}

// stacksIn are the stacks with a Pulumi.<stack>.yaml in root.
func stacksIn(root string) []string {
	files, _ := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(out)
	return out
}
