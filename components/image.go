package components

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
// code changes nothing.
func ContextDigest(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("build context %s: %w", dir, err)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, path := range files {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return "", err
		}
		if err := hashFile(h, filepath.ToSlash(rel), path); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// The name and a separator first, so moving bytes between files changes the digest.
	fmt.Fprintf(h, "%s\x00", name)
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	_, err = h.Write([]byte{0})
	return err
}
