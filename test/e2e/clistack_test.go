package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// cliStack is a scratch copy of the sandbox stack (its own directory and
// file backend) driven the way a user drives the checkout: `playk8s
// <verb> -root <dir>` as the make targets run it, and the pulumi CLI in a
// shell that evaluated `playk8s env`.
type cliStack struct {
	scratch *engine.Scratch
	bin     string
}

// newCLIStack makes the scratch stack on the sandbox. The passphrase is
// the user's (PULUMI_CONFIG_PASSPHRASE), for the test and its commands.
func newCLIStack(t *testing.T, kubeconfig, passphrase string) *cliStack {
	t.Helper()
	ctx := context.Background()
	bin, err := playk8sBinary()
	if err != nil {
		t.Fatal(err)
	}
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", passphrase)
	eng, err := engine.New(ctx, engine.Options{Root: root, StateDir: t.TempDir(), Progress: &utils.SyncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := layout.IstioModuleCharts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scratch, err := eng.NewScratch(ctx, "sandbox", map[string]auto.ConfigValue{
		"kubernetes:kubeconfig": {Value: kubeconfig},
		"istio:chartDir":        {Value: charts},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { scratch.Close() })
	// playk8s -root finds the built tools under the project root it is given.
	if err := os.Symlink(layout.New(root).ToolsDir(), layout.New(scratch.Dir()).ToolsDir()); err != nil {
		t.Fatal(err)
	}
	return &cliStack{scratch: scratch, bin: bin}
}

// playk8s is `playk8s <args> -stack sandbox -root <dir>`.
func (c *cliStack) playk8s(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.bin, append(args, "-stack", "sandbox", "-root", c.scratch.Dir())...)
	cmd.Env = append(os.Environ(), "PULUMI_BACKEND_URL="+c.scratch.BackendURL())
	return cmd
}

// shell runs a bash script in the stack's directory after the README's
// one-liner, eval "$(playk8s env)": what follows it is what a user types.
func (c *cliStack) shell(ctx context.Context, script string) *exec.Cmd {
	env := c.playk8s(ctx, "env")
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", `eval "$("$0" "${@}")"`+"\n"+script, env.Args[0])
	cmd.Args = append(cmd.Args, env.Args[1:]...)
	cmd.Dir = c.scratch.Dir()
	cmd.Env = env.Env
	return cmd
}
