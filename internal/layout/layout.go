// Package layout owns every path of a checkout and every name of its
// sandbox, so that each is spelled once:
//
//   - tools.go: what `make tools` builds into .tools/, one directory per
//     tool and version (versions.env), and the programs make links there;
//   - state.go: .state/ (the engine's backend and PULUMI_HOME, the Istio
//     charts link) and the sandbox's own state directory;
//   - sandbox.go: the sandbox's names (network namespace, nodes, labels),
//     its runtime directory under /run, its addresses, and what its kubelet
//     changes on the host;
//   - make.go: the variables the Makefile reads (`go run ./cmd/tools -layout`).
//
// Nothing here creates anything: a Layout is paths, so `make doctor` can
// report them on a machine where nothing is built.
package layout

import (
	"errors"
	"os"
	"path/filepath"
)

// Layout is one checkout's paths.
type Layout struct {
	// Root is the project root, the directory of Pulumi.yaml.
	Root string
}

// New is the layout of the checkout at root.
func New(root string) Layout { return Layout{Root: root} }

// FindRoot is the nearest directory at or above dir holding Pulumi.yaml
// (go test runs in a package's directory, users run make at the root).
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml at or above the working directory: run from the project")
		}
		dir = parent
	}
}

// FromWorkingDir is the layout of the checkout the working directory is in.
func FromWorkingDir() (Layout, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Layout{}, err
	}
	root, err := FindRoot(wd)
	if err != nil {
		return Layout{}, err
	}
	return New(root), nil
}

// Rel is p relative to the root when it lies below it (for messages).
func (l Layout) Rel(p string) string {
	if rel, err := filepath.Rel(l.Root, p); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return p
}
