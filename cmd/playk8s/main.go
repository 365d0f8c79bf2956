// Command playk8s deploys play-kubernetes' stack with the real Pulumi engine
// through the Automation API, offline and without a Pulumi account:
//
//	playk8s preview|up|destroy|refresh [-stack dev] [-refresh]
//	playk8s render [-stack dev] [-dir rendered/dev] [-set key=value ...] [-set-secret-env key=VARIABLE ...] [-set-secret-file key=path ...]
//	playk8s verify [-stack dev] [-api-only]
//	playk8s env [-stack sandbox]       # eval "$(playk8s env -stack sandbox)"
//	playk8s doctor [-stack sandbox]
//
// render's override keys may be paths, as `pulumi config set --path`
// takes them (istio:ingress.api: internal/configset). Every command also
// takes -flags '<flags>': more flags in one argument, split at spaces
// outside JSON, as make passes RENDER_FLAGS (flagtext.go).
//
// Each command is a row of one table (commands.go): the namespace
// permission it needs, whether it validates the stack file, needs a
// cluster, recovers an interrupted run; its steps follow from the row.
//
// State goes to a file backend in .state/ (PULUMI_BACKEND_URL overrides it,
// so Pulumi Cloud users keep theirs); secrets use a passphrase (the user's
// PULUMI_CONFIG_PASSPHRASE, or one kept in .state/; the sandbox's is
// published: engine.PublicPassphrase).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "playk8s:", err)
		os.Exit(1)
	}
}

// run looks the command up in the table, parses its flags and runs its
// steps in order; the first error stops it.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return errors.New("no command; want one of " + strings.Join(commandNames(), ", "))
	}
	cmd, err := lookup(args[0])
	if err != nil {
		fmt.Fprint(stderr, usage())
		return err
	}
	opts, err := parseFlags(cmd, args[1:], stderr)
	if err != nil {
		return err
	}
	root, err := filepath.Abs(opts.root)
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	inv := &invocation{
		ctx: ctx, cmd: cmd, opts: opts, stdout: stdout, stderr: stderr,
		layout: engine.NewLayout(engine.Options{Root: root}),
	}
	for _, s := range cmd.steps() {
		if err := s.run(inv); err != nil {
			return err
		}
	}
	return nil
}
