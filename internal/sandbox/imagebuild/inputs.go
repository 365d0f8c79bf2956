package imagebuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// resolve is the path a spec's variable stands for, built first when it
// is this checkout's source or Debian's package.
func (b *Builder) resolve(v string) (string, error) {
	in, ok := specInputs[v]
	switch {
	case !ok:
		return "", fmt.Errorf("${%s}: no input known for it (add it to specInputs)", v)
	case in.binary != "":
		rel, ok := b.keyer.binaries[in.binary]
		if !ok {
			return "", fmt.Errorf("${%s} is %s, which no step of make tools builds", v, in.binary)
		}
		return filepath.Join(b.Layout.Root, rel), nil
	case in.tree == "sample-app":
		// The flags of sample-app/Dockerfile: static, trimmed, grpcnotrace.
		return b.goBuild("sample-app", filepath.Join(b.Layout.Root, "sample-app"), ".", "-tags", "grpcnotrace")
	case in.tree != "":
		return b.goBuild(filepath.Base(in.tree), b.Layout.Root, "./"+in.tree)
	default:
		return b.debRoot(in.debs)
	}
}

// goBuild builds one of this checkout's commands, static and trimmed,
// into .tools/<name>/<name>, under a temporary name renamed once built.
func (b *Builder) goBuild(name, dir, pkg string, flags ...string) (string, error) {
	out := b.Layout.BuiltFromSource(name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp := out + ".build"
	args := append(append([]string{"build", "-mod=readonly", "-trimpath"}, flags...), "-ldflags", "-s -w", "-o", tmp, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = b.Log, b.Log
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build %s (in %s): %w", pkg, b.Layout.Rel(dir), err)
	}
	return out, os.Rename(tmp, out)
}

// downloadDebs fetches Debian packages not downloaded yet into .tools/debs
// (apt-get download: nothing is installed). Once there they are kept;
// `make clean` forgets them, so the next build takes the newest.
func (b *Builder) downloadDebs(pkgs []string) error {
	var missing []string
	for _, p := range pkgs {
		if debs, _ := filepath.Glob(filepath.Join(b.Layout.DebsDir(), p+"_*.deb")); len(debs) == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(b.Layout.DebsDir(), 0o755); err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.Command("apt-get", append([]string{"download"}, missing...)...)
	cmd.Dir = b.Layout.DebsDir()
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return fmt.Errorf("apt-get download %s: %w (%s); run: apt-get update", strings.Join(missing, " "), err, lines[len(lines)-1])
	}
	return nil
}

// newestDeb is the newest downloaded .deb of a package.
func (b *Builder) newestDeb(pkg string) (string, error) {
	debs, err := filepath.Glob(filepath.Join(b.Layout.DebsDir(), pkg+"_*.deb"))
	if err != nil || len(debs) == 0 {
		return "", fmt.Errorf("no %s_*.deb in %s: %v", pkg, b.Layout.Rel(b.Layout.DebsDir()), err)
	}
	slices.Sort(debs)
	return debs[len(debs)-1], nil
}

// debRoot is the packages' files unpacked (not installed: nothing runs a
// maintainer script or starts a service on this machine) into one
// directory keyed by the versions downloaded.
func (b *Builder) debRoot(pkgs []string) (string, error) {
	if err := b.downloadDebs(pkgs); err != nil {
		return "", err
	}
	var debs []string
	for _, p := range pkgs {
		deb, err := b.newestDeb(p)
		if err != nil {
			return "", err
		}
		debs = append(debs, deb)
	}
	sum := sha256.Sum256([]byte(strings.Join(debs, " ")))
	dir := filepath.Join(b.Layout.DebsDir(), "root-"+pkgs[0]+"-"+hex.EncodeToString(sum[:])[:12])
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	for _, deb := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", deb, tmp).CombinedOutput(); err != nil {
			return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", filepath.Base(deb), err, out)
		}
	}
	return dir, os.Rename(tmp, dir)
}
