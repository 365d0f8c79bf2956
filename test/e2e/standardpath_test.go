package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// languageHostBinary is test/golanghost built as pulumi-language-go, the
// name the CLI looks for on PATH.
var languageHostBinary = sync.OnceValues(func() (string, error) {
	return buildBinary("./test/golanghost", "pulumi-language-go")
})

// checkStandardPath is `pulumi preview` as a user with a normal Pulumi
// install types it in the checkout: the CLI reads Pulumi.yaml, and its Go
// language host builds infra/ to the project's buildTarget and runs it
// (test/golanghost stands in for pulumi-language-go, which cannot be had
// here). The stack was deployed by playk8s up; the standard path must find
// nothing to change, and the program must land where Pulumi.yaml says.
func checkStandardPath(t *testing.T, cli *cliStack, shell func(string) string) {
	t.Helper()
	host, err := languageHostBinary()
	if err != nil {
		t.Fatal(err)
	}
	root, err := utils.ProjectDir()
	if err != nil {
		t.Fatal(err)
	}
	// On PATH, a language host is an ambient plugin, which playk8s env
	// turns off for resource plugins; a normal install has it next to pulumi.
	// Pulumi.yaml's buildTarget, relative to its main (infra/).
	program := layout.New(root).Program()
	// Removed first, so only this preview's build can have put it there.
	if err := os.Remove(program); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out := shell(`cd ` + root + ` && PULUMI_IGNORE_AMBIENT_PLUGINS=false PATH=` + filepath.Dir(host) + `:$PATH pulumi preview --stack sandbox --non-interactive --expect-no-changes --diff --config-file ` +
		filepath.Join(cli.scratch.Dir(), "Pulumi.sandbox.yaml") + ` 2>&1`)
	if !strings.Contains(out, "unchanged") {
		t.Errorf("pulumi preview from Pulumi.yaml reports no unchanged resources:\n%s", out)
	}
	if info, err := os.Stat(program); err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("the preview did not build the program to Pulumi.yaml's buildTarget %s (%v)", program, err)
	}
}
