// Package imagebuild is the images step of `make tools`: it builds every
// image the sandbox runs into .tools/images/<name>.tar, one per spec
// (hack/sandbox/images/<name>.json, read by internal/sandbox/image), and
// records each in one index (image.Index): the key of its inputs, its
// digest and its names. Nothing is pulled: no registry can be reached
// here.
//
//   - key.go: an image's key, from everything that goes into its tarball
//     (the spec and its files, versions.env, go.mod/go.sum, the source
//     trees and built binaries it packs, the Debian packages, the Go
//     toolchain, this builder's own sources); an image whose key is
//     recorded is skipped, so `make tools` on a built checkout packs
//     nothing (BENCHMARKS.md);
//   - inputs.go: what a spec's variables stand for, built when missing:
//     binaries of earlier steps, this checkout's sample-app and toolbox
//     (go build), Debian's nginx (apt-get download, unpacked, never
//     installed).
package imagebuild

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/contenthash"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/image"
	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// specsDir and imagesDir are layout's ImageSpecsDir and ImagesDir
// relative to the root: keys name files by those paths, the same in
// every checkout.
var (
	specsDir  = layout.New("").ImageSpecsDir()
	imagesDir = layout.New("").ImagesDir()
)

// commonFiles feed every image: the pins (and the root package that
// embeds them), and the root module the image builder and the toolbox
// are built from (go.sum pins every dependency's content).
var commonFiles = []string{"versions.env", "versions.go", "go.mod", "go.sum"}

// builderTrees are the image builder's sources (cmd/tools and what it
// imports): it writes every tarball, so a change there may change every
// image. A test checks they hold every package of this repository that
// cmd/tools imports.
var builderTrees = []string{"cmd/tools", "internal/sandbox/image", "internal/sandbox/imagebuild", "internal/layout", "internal/toolbuild", "internal/contenthash", "internal/atomicfile"}

// goEnv are the settings of the go command that change what `go build`
// makes, read with `go env` so that `go env -w` settings count too.
var goEnv = []string{"GOVERSION", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "CGO_ENABLED", "GOTOOLCHAIN"}

// goModules are the modules the images' binaries are built in: each go.mod
// may select its own toolchain.
var goModules = []string{".", "sample-app"}

// input is what one ${VAR} of a spec stands for (inputs.go), keyed by
// where it comes from.
type input struct {
	// tree: this checkout's sources the script builds the binary from,
	// by content.
	tree string
	// binary: an output of an earlier step of make tools (its base name),
	// by size and modification time: they are tens of megabytes, written
	// once per version and renamed into place, so a rebuild shows there.
	binary string
	// debs: Debian packages, by the file names apt-get downloaded into
	// .tools/debs (they carry the versions; the newest is unpacked).
	debs []string
}

// specInputs maps every variable a spec may use, besides versions.env's
// and SANDBOX_IMAGES_DIR, to its input (a test checks every spec's
// variables are here).
var specInputs = map[string]input{
	"PAUSE_BIN":       {binary: "pause"},
	"COREDNS_BIN":     {binary: "coredns"},
	"PILOT_BIN":       {binary: "pilot-discovery"},
	"INSTALL_CNI_BIN": {binary: "install-cni"},
	"ISTIO_CNI_BIN":   {binary: "istio-cni"},
	"PILOT_AGENT_BIN": {binary: "pilot-agent"},
	"JAEGER_BIN":      {binary: "jaeger"},
	"PROMETHEUS_BIN":  {binary: "prometheus"},
	"SAMPLE_APP_BIN":  {tree: "sample-app"},
	"TOOLBOX_BIN":     {tree: "test/toolbox"},
	"NGINX_ROOT":      {debs: []string{"nginx", "nginx-common"}},
}

// imagesDirFile matches a spec's own files beside it
// (${SANDBOX_IMAGES_DIR}/nginx.conf), hashed into that image's key.
var imagesDirFile = regexp.MustCompile(`\$\{?SANDBOX_IMAGES_DIR\}?/([^"\s]+)`)

// keyer computes image keys for one checkout.
type keyer struct {
	root string
	// toolchain is the Go toolchain and environment the builds run with.
	toolchain string
	// binaries maps an output's base name to its path under root.
	binaries map[string]string
}

// newKeyer keys images for root with the toolchain and settings of the
// go command on PATH, the one the binaries are built with.
func newKeyer(root string, plan toolbuild.Plan) (keyer, error) {
	toolchain, err := goToolchain(root)
	if err != nil {
		return keyer{}, err
	}
	return keyer{root: root, toolchain: toolchain, binaries: outputsByName(plan)}, nil
}

// goToolchain is `go env` of goEnv in each of goModules (about 8 ms each).
func goToolchain(root string) (string, error) {
	var b strings.Builder
	for _, dir := range goModules {
		cmd := exec.Command("go", append([]string{"env"}, goEnv...)...)
		cmd.Dir = filepath.Join(root, dir)
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("go env in %s: %w", dir, err)
		}
		fmt.Fprintf(&b, "%s:\n%s", dir, out)
	}
	return b.String(), nil
}

// outputsByName indexes the plan's outputs by base name ("pause" ->
// .tools/pause-3.10.1/pause), so a binary's path is spelled once.
func outputsByName(plan toolbuild.Plan) map[string]string {
	out := map[string]string{}
	for _, s := range plan {
		for _, o := range s.Outputs {
			out[path.Base(o)] = o
		}
	}
	return out
}

// imageNames are the images: one per spec.
func imageNames(root string) ([]string, error) {
	specs, err := filepath.Glob(filepath.Join(root, specsDir, "*.json"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range specs {
		names = append(names, strings.TrimSuffix(filepath.Base(s), ".json"))
	}
	return names, nil
}

// inputSet is what an image is built from, by kind (paths under root).
type inputSet struct {
	files, trees, binaries, debs []string
}

// key is the image's input key: everything that goes into its tarball.
// An error means an input this function does not know or cannot read;
// such an image is rebuilt every time rather than trusted.
func (k keyer) key(name string) (string, error) {
	in, err := k.inputs(name)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "toolchain %q\n", k.toolchain)
	if err := k.hashInputs(h, in); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// inputs reads the image's spec for what it is built from: the common
// files and the builder's sources, the spec and its files beside it, and
// one input per variable the spec expands.
func (k keyer) inputs(name string) (inputSet, error) {
	spec := path.Join(specsDir, name+".json")
	raw, err := os.ReadFile(filepath.Join(k.root, spec))
	if err != nil {
		return inputSet{}, err
	}
	pinned, err := envValues(filepath.Join(k.root, "versions.env"))
	if err != nil {
		return inputSet{}, err
	}
	in := inputSet{files: append(slices.Clone(commonFiles), spec), trees: slices.Clone(builderTrees)}
	for _, m := range imagesDirFile.FindAllStringSubmatch(string(raw), -1) {
		in.files = append(in.files, path.Join(specsDir, m[1]))
	}
	for _, v := range specVars(string(raw)) {
		if _, ok := pinned[v]; ok || v == "SANDBOX_IMAGES_DIR" {
			continue // versions.env and the images directory's files are hashed
		}
		if err := k.addVar(&in, spec, v); err != nil {
			return inputSet{}, err
		}
	}
	return in, nil
}

// addVar adds what the spec's variable v stands for.
func (k keyer) addVar(in *inputSet, spec, v string) error {
	src, known := specInputs[v]
	switch {
	case !known:
		return fmt.Errorf("%s uses ${%s}, whose input cmd/tools does not know (add it to specInputs)", spec, v)
	case src.tree != "":
		in.trees = append(in.trees, src.tree)
	case src.binary != "":
		b, ok := k.binaries[src.binary]
		if !ok {
			return fmt.Errorf("%s: ${%s} is %s, which no step of make tools builds", spec, v, src.binary)
		}
		in.binaries = append(in.binaries, b)
	default:
		in.debs = append(in.debs, src.debs...)
	}
	return nil
}

// hashInputs writes each kind of input into h, each with its path, so
// that moving a file between inputs changes the key too.
func (k keyer) hashInputs(h io.Writer, in inputSet) error {
	for _, f := range in.files {
		if err := k.hashFile(h, f); err != nil {
			return err
		}
	}
	for _, t := range in.trees {
		if err := k.hashTree(h, t); err != nil {
			return err
		}
	}
	for _, b := range in.binaries {
		if err := k.hashStat(h, b); err != nil {
			return err
		}
	}
	for _, p := range in.debs {
		if err := k.hashDebs(h, p); err != nil {
			return err
		}
	}
	return nil
}

// hashFile: a file by content.
func (k keyer) hashFile(h io.Writer, rel string) error {
	return contenthash.File(h, rel, filepath.Join(k.root, rel))
}

// hashTree: every file of a source tree that can reach a binary, by
// content.
func (k keyer) hashTree(h io.Writer, tree string) error {
	return contenthash.Tree(h, k.root, tree, notBuilt)
}

// notBuilt: tests, testdata and Markdown cannot reach a binary (go build
// reads none of them), so editing them rebuilds nothing; anything else
// might (a //go:embed, go.mod), so it counts.
func notBuilt(d fs.DirEntry) bool {
	if d.IsDir() {
		return d.Name() == "testdata"
	}
	return strings.HasSuffix(d.Name(), "_test.go") || strings.HasSuffix(d.Name(), ".md")
}

// hashStat: a built binary by size and modification time.
func (k keyer) hashStat(h io.Writer, rel string) error {
	info, err := os.Stat(filepath.Join(k.root, rel))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(h, "binary %s %d %d\n", rel, info.Size(), info.ModTime().UnixNano())
	return err
}

// hashDebs: the names of a package's downloaded .deb files (downloaded
// before the key is taken).
func (k keyer) hashDebs(h io.Writer, pkg string) error {
	debs, err := filepath.Glob(filepath.Join(layout.New(k.root).DebsDir(), pkg+"_*.deb"))
	if err != nil {
		return err
	}
	for i := range debs {
		debs[i] = filepath.Base(debs[i])
	}
	slices.Sort(debs)
	_, err = fmt.Fprintf(h, "debs %s %s\n", pkg, strings.Join(debs, " "))
	return err
}

// specVars are the variables a spec expands, as cmd/sandbox expands them
// (os.Expand: $VAR and ${VAR}), sorted and without repeats.
func specVars(spec string) []string {
	var vars []string
	os.Expand(spec, func(v string) string {
		vars = append(vars, v)
		return ""
	})
	slices.Sort(vars)
	return slices.Compact(vars)
}

// envValues are the KEY=value pairs of a file (versions.env).
func envValues(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	values := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			values[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return values, sc.Err()
}

// staleImages returns the images to rebuild, each with its key now (""
// when it cannot be keyed): each whose tarball is missing, or whose key
// the index does not record. warn receives why an image cannot be keyed.
func (k keyer) staleImages(idx image.Index, warn func(error)) (map[string]string, error) {
	names, err := imageNames(k.root)
	if err != nil {
		return nil, err
	}
	stale := map[string]string{}
	for _, name := range names {
		key, err := k.key(name)
		if err != nil {
			warn(err)
		}
		if err != nil || !k.built(idx, name, key) {
			stale[name] = key
		}
	}
	return stale, nil
}

// built reports whether the image's tarball is there and the index
// records it built from inputs with this key.
func (k keyer) built(idx image.Index, name, key string) bool {
	if _, err := os.Stat(filepath.Join(k.root, imagesDir, name+".tar")); err != nil {
		return false
	}
	b, ok := idx[name]
	return ok && b.Key == key
}
