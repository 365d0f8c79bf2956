package layout

import (
	"fmt"
	"io"
	"path/filepath"
)

// MakeVars are the paths the Makefile needs, by make variable: the
// commands it links and runs, the tools it names and the sandbox's
// kubeconfig. `go run ./cmd/tools -layout` writes them as an include file
// (.tools/layout.mk), which make remakes when this package changes.
func (l Layout) MakeVars() [][2]string {
	return [][2]string{
		{"TOOLS_DIR", l.ToolsDir()},
		{"PLAYK8S", l.Bin("playk8s")},
		{"SANDBOX", l.Bin("sandbox")},
		{"JAEGER_BIN", l.Jaeger()},
		{"RENOVATE_DIR", l.RenovateDir()},
		{"SANDBOX_KUBECONFIG", l.SandboxState().Kubeconfig()},
	}
}

// WriteMake writes MakeVars as make assignments below make's $(CURDIR),
// so the file names no checkout.
func (l Layout) WriteMake(w io.Writer) error {
	for _, v := range l.MakeVars() {
		if _, err := fmt.Fprintf(w, "%s := $(CURDIR)/%s\n", v[0], filepath.ToSlash(l.Rel(v[1]))); err != nil {
			return err
		}
	}
	return nil
}
