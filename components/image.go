package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/play-kubernetes/play-kubernetes/internal/contenthash"
)

// ImageBuild says how SampleChain builds sample-app with pulumi-docker (`chain:build`).
type ImageBuild struct {
	// Context is the build context directory (./sample-app).
	Context string `json:"context"`
	// Dockerfile inside Context; empty means Context/Dockerfile.
	Dockerfile string `json:"dockerfile"`
	// Repository is the image name without tag: "sample-app" for a local
	// daemon (minikube), "ghcr.io/org/sample-app" for a registry.
	Repository string `json:"repository"`
	// Platform to build for, e.g. linux/amd64; empty means the daemon's.
	Platform string `json:"platform"`
	// PerHop builds one image per hop with --build-arg SERVICE_TYPE=<hop>, as
	// the tutorial did; otherwise one image serves every hop.
	PerHop bool `json:"perHop"`
	// Push sends the image to Registry; otherwise it stays in the daemon
	// (minikube's, after `eval $(minikube docker-env)`).
	Push bool `json:"push"`
	// Registry is where pushed images go (the password is a secret of its own).
	Registry Registry `json:"registry"`
}

// Registry is where pushed images go.
type Registry struct {
	Server   string `json:"server"`
	Username string `json:"username"`
}

// dockerfile is the Dockerfile the build uses.
func (b ImageBuild) dockerfile() string {
	if b.Dockerfile != "" {
		return b.Dockerfile
	}
	return filepath.Join(b.Context, "Dockerfile")
}

// ContextDigest hashes every regular file under dir (relative path and
// content), so an image tag derived from it changes exactly when the build
// context does: a code change rolls the Deployments, a rebuild of the same
// code changes nothing. .git and links do not count; tests and docs do,
// though .dockerignore keeps them out of the build (it is not read here).
func ContextDigest(dir string) (string, error) {
	h := sha256.New()
	if err := contenthash.Tree(h, dir, ".", contextSkip); err != nil {
		return "", fmt.Errorf("build context %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// contextSkip leaves out .git and whatever is not a regular file.
func contextSkip(d fs.DirEntry) bool {
	if d.IsDir() {
		return d.Name() == ".git"
	}
	return !d.Type().IsRegular()
}
