package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/shellenv"
)

// printEnv prints the shell lines that give the user's shell what the make
// targets give the engine: the pinned pulumi and kubectl first on PATH,
// this project's backend and private PULUMI_HOME, the stack's passphrase
// as a file (never its value) and, for the sandbox, its kubeconfig. Then
// `pulumi stack ls`, `config set`, `stack output`, `stack history` and
// `cancel` work offline as in Pulumi's docs. The stack, when it exists, is
// made the CLI's current one so they need no -s.
//
// Only shell lines go to stdout (eval runs them); what the user should
// know but the shell should not run goes to stderr.
func printEnv(inv *invocation) error {
	l := inv.layout
	pass, err := l.PassphraseFor(l.StackFile(inv.opts.stack))
	if err != nil {
		return err
	}
	exists, err := inv.eng.SelectExisting(inv.ctx, inv.opts.stack, l.Root)
	if err != nil {
		return fmt.Errorf("selecting stack %s: %w", inv.opts.stack, err)
	}
	lines := envLines(l, inv.opts.stack, pass, os.Getenv)
	if _, err := fmt.Fprintln(inv.stdout, strings.Join(lines, "\n")); err != nil {
		return err
	}
	if _, err := os.Stat(l.Kubectl); err != nil {
		fmt.Fprintf(inv.stderr, "playk8s env: the pinned kubectl is not built yet (%s); `make tools` builds it\n", l.Kubectl)
	}
	if !exists {
		fmt.Fprintf(inv.stderr, "playk8s env: stack %s does not exist yet; `make up STACK=%s` creates it\n", inv.opts.stack, inv.opts.stack)
	}
	return nil
}

// envLines are the shell lines for a stack, given the environment the
// command runs in (getenv).
func envLines(l engine.Layout, stack string, pass engine.Passphrase, getenv func(string) string) []string {
	lines := []string{
		shellenv.Comment(fmt.Sprintf("play-kubernetes, stack %s: the pinned pulumi and kubectl on this checkout's state; run pulumi from the checkout (it finds Pulumi.yaml)", stack)),
		shellenv.PrependPath(filepath.Dir(l.CLI), filepath.Dir(l.Kubectl)),
	}
	settings := l.CLIEnv()
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		lines = append(lines, shellenv.Export(k, settings[k]))
	}
	switch pass.Source {
	case engine.PassphrasePublic:
		// The committed salt opens with this one only: a passphrase of the
		// user's, which the CLI would prefer, must not stay in the way.
		lines = append(lines, shellenv.Unset("PULUMI_CONFIG_PASSPHRASE"), shellenv.Export("PULUMI_CONFIG_PASSPHRASE_FILE", pass.File))
	case engine.PassphraseGenerated:
		lines = append(lines, shellenv.Export("PULUMI_CONFIG_PASSPHRASE_FILE", pass.File))
	default:
		lines = append(lines, shellenv.Comment("the passphrase: yours (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE), as make up uses it"))
	}
	switch kubeconfig := l.Kubeconfig(stack); {
	case kubeconfig != "":
		lines = append(lines, shellenv.Export("KUBECONFIG", kubeconfig))
	case getenv("KUBECONFIG") == l.SandboxKubeconfig():
		// Left from the sandbox's env: this stack uses the user's kube context.
		lines = append(lines, shellenv.Unset("KUBECONFIG"))
	}
	return lines
}
