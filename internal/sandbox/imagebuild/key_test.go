package imagebuild

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/image"
	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// checkout is a small project tree with every kind of image input: a
// prebuilt binary (pause), this checkout's sources (sample-app, toolbox),
// Debian packages and a file beside the spec (nginx).
var checkout = map[string]string{
	"versions.env":                         "PAUSE_VERSION=1\nSANDBOX_PAUSE_IMAGE=localhost/p:1\nHELM_VERSION=v3\n",
	"versions.go":                          "package example\n",
	"go.mod":                               "module example\n",
	"go.sum":                               "dep v1 h1:aaa\n",
	"cmd/tools/main.go":                    "package main\n",
	"internal/sandbox/image/tar.go":        "package image\n",
	"internal/sandbox/imagebuild/build.go": "package imagebuild\n",
	"internal/layout/tools.go":             "package layout\n",
	"internal/toolbuild/steps.go":          "package toolbuild\n",
	"internal/contenthash/contenthash.go":  "package contenthash\n",
	"internal/atomicfile/atomicfile.go":    "package atomicfile\n",
	"hack/sandbox/images/pause.json": `{"refs":["${SANDBOX_PAUSE_IMAGE}"],` +
		`"files":[{"src":"${PAUSE_BIN}","dst":"/pause"}],"labels":{"v":"$PAUSE_VERSION"}}`,
	"hack/sandbox/images/sample-app.json": `{"refs":["localhost/s:1"],"files":[{"src":"${SAMPLE_APP_BIN}","dst":"/s"}]}`,
	"hack/sandbox/images/toolbox.json":    `{"refs":["localhost/t:1"],"files":[{"src":"${TOOLBOX_BIN}","dst":"/t"}]}`,
	"hack/sandbox/images/nginx.json": `{"refs":["localhost/n:1"],"files":[{"src":"${NGINX_ROOT}/usr/sbin/nginx","dst":"/n"},` +
		`{"src":"${SANDBOX_IMAGES_DIR}/nginx.conf","dst":"/etc/nginx/nginx.conf"}]}`,
	"hack/sandbox/images/nginx.conf":            "worker_processes 1;\n",
	"sample-app/go.mod":                         "module example/sample-app\n",
	"sample-app/go.sum":                         "otel v1 h1:bbb\n",
	"sample-app/main.go":                        "package main\n",
	"sample-app/main_test.go":                   "package main\n",
	"sample-app/README.md":                      "# sample-app\n",
	"sample-app/internal/server/server.go":      "package server\n",
	"sample-app/internal/server/testdata/x":     "fixture\n",
	"test/toolbox/main.go":                      "package main\n",
	".tools/pause-1/pause":                      "\x7fELF pause",
	".tools/debs/nginx_1.22.1-9_amd64.deb":      "deb",
	".tools/debs/nginx-common_1.22.1-9_all.deb": "deb",
}

var allImages = []string{"nginx", "pause", "sample-app", "toolbox"}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		f := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newCheckout(t *testing.T) keyer {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, checkout)
	return keyer{root: root, toolchain: "go1.26.0", binaries: map[string]string{"pause": ".tools/pause-1/pause"}}
}

func keys(t *testing.T, k keyer) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range allImages {
		key, err := k.key(name)
		if err != nil {
			t.Fatalf("key(%s): %v", name, err)
		}
		out[name] = key
	}
	return out
}

// TestKeyChangesExactlyWithItsInputs: every input of an image changes its
// key, and only its key; what go build never reads changes none. A
// change that left the key alone would leave a stale image in the
// sandbox.
func TestKeyChangesExactlyWithItsInputs(t *testing.T) {
	edit := func(rel, body string) func(*testing.T, *keyer) {
		return func(t *testing.T, k *keyer) { writeFiles(t, k.root, map[string]string{rel: body}) }
	}
	tests := []struct {
		name   string
		change func(*testing.T, *keyer)
		want   []string // the images whose key must change; the others' must not
	}{
		{"nothing", func(*testing.T, *keyer) {}, nil},
		{"a source rewritten with the same content", edit("sample-app/main.go", "package main\n"), nil},
		{"sample-app source", edit("sample-app/main.go", "package main\n\nfunc main() {}\n"), []string{"sample-app"}},
		{"sample-app package source", edit("sample-app/internal/server/server.go", "package server // v2\n"), []string{"sample-app"}},
		{"sample-app new source file", edit("sample-app/internal/server/routes.go", "package server\n"), []string{"sample-app"}},
		{"sample-app go.mod", edit("sample-app/go.mod", "module example/sample-app\n\ngo 1.26\n"), []string{"sample-app"}},
		{"sample-app go.sum", edit("sample-app/go.sum", "otel v2 h1:ccc\n"), []string{"sample-app"}},
		{"sample-app test (not built)", edit("sample-app/main_test.go", "package main // more\n"), nil},
		{"sample-app testdata (not built)", edit("sample-app/internal/server/testdata/x", "other\n"), nil},
		{"sample-app README (not built)", edit("sample-app/README.md", "# more\n"), nil},
		{"toolbox source", edit("test/toolbox/main.go", "package main // v2\n"), []string{"toolbox"}},
		{"root go.mod (builder, toolbox)", edit("go.mod", "module example\n\ngo 1.26\n"), allImages},
		{"root go.sum (builder, toolbox)", edit("go.sum", "dep v2 h1:ddd\n"), allImages},
		{"image builder source", edit("internal/sandbox/image/tar.go", "package image // v2\n"), allImages},
		{"image builder command", edit("cmd/tools/main.go", "package main // v2\n"), allImages},
		{"image builder's inputs", edit("internal/sandbox/imagebuild/build.go", "package imagebuild // v2\n"), allImages},
		{"the layout the builder reads", edit("internal/layout/tools.go", "package layout // v2\n"), allImages},
		{"versions.env", edit("versions.env", "PAUSE_VERSION=2\nSANDBOX_PAUSE_IMAGE=localhost/p:1\nHELM_VERSION=v3\n"), allImages},
		{"the root package embedding versions.env", edit("versions.go", "package example // v2\n"), allImages},
		{"pause spec json", edit("hack/sandbox/images/pause.json", `{"refs":["${SANDBOX_PAUSE_IMAGE}"],"files":[{"src":"${PAUSE_BIN}","dst":"/p"}]}`), []string{"pause"}},
		{"nginx.conf beside the spec", edit("hack/sandbox/images/nginx.conf", "worker_processes 2;\n"), []string{"nginx"}},
		{"a newer nginx package downloaded", edit(".tools/debs/nginx_1.22.1-10_amd64.deb", "deb"), []string{"nginx"}},
		{"the nginx packages removed (downloaded again)", func(t *testing.T, k *keyer) {
			for _, deb := range []string{"nginx_1.22.1-9_amd64.deb", "nginx-common_1.22.1-9_all.deb"} {
				if err := os.Remove(filepath.Join(k.root, ".tools/debs", deb)); err != nil {
					t.Fatal(err)
				}
			}
		}, []string{"nginx"}},
		{"pause binary rebuilt, same size", func(t *testing.T, k *keyer) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(k.root, ".tools/pause-1/pause"), later, later); err != nil {
				t.Fatal(err)
			}
		}, []string{"pause"}},
		{"pause binary rebuilt, other size", edit(".tools/pause-1/pause", "\x7fELF pause, rebuilt"), []string{"pause"}},
		{"Go toolchain", func(_ *testing.T, k *keyer) { k.toolchain = "go1.26.1" }, allImages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newCheckout(t)
			before := keys(t, k)
			tt.change(t, &k)
			after := keys(t, k)
			for _, name := range allImages {
				changed := before[name] != after[name]
				if want := slices.Contains(tt.want, name); changed != want {
					t.Errorf("%s: key changed = %v, want %v", name, changed, want)
				}
			}
		})
	}
}

func TestKeyRefusesWhatItCannotKey(t *testing.T) {
	tests := []struct {
		name, spec, wantErr string
		binaries            map[string]string
	}{
		{"a variable of no known input", `{"files":[{"src":"${NEW_BIN}"}]}`, "${NEW_BIN}", nil},
		{"a binary no step builds", `{"files":[{"src":"${PAUSE_BIN}"}]}`, "no step of make tools builds", map[string]string{}},
		{"a known binary not built yet", `{"files":[{"src":"${PAUSE_BIN}"}]}`, "no such file", map[string]string{"pause": ".tools/none/pause"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newCheckout(t)
			k.binaries = tt.binaries
			writeFiles(t, k.root, map[string]string{"hack/sandbox/images/new.json": tt.spec})
			if _, err := k.key("new"); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("key = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestStaleImages: an image is rebuilt unless its tarball is there and
// the index records today's key for it.
func TestStaleImages(t *testing.T) {
	built := func(t *testing.T, k keyer) image.Index {
		t.Helper()
		for _, name := range allImages {
			writeFiles(t, k.root, map[string]string{imagesDir + "/" + name + ".tar": "tar"})
		}
		stale, err := k.staleImages(image.Index{}, func(err error) { t.Fatal(err) })
		if err != nil {
			t.Fatal(err)
		}
		idx := image.Index{}
		for name, key := range stale {
			idx[name] = image.Built{Key: key, Digest: "sha256:1", Refs: []string{"localhost/" + name + ":1"}}
		}
		return idx
	}
	tests := []struct {
		name   string
		change func(*testing.T, keyer, image.Index)
		want   []string
	}{
		{"all built", func(*testing.T, keyer, image.Index) {}, nil},
		{"an input changed", func(t *testing.T, k keyer, _ image.Index) {
			writeFiles(t, k.root, map[string]string{"test/toolbox/main.go": "package main // v2\n"})
		}, []string{"toolbox"}},
		{"a tarball removed", func(t *testing.T, k keyer, _ image.Index) { remove(imagesDir+"/pause.tar")(t, k) }, []string{"pause"}},
		{"not in the index", func(_ *testing.T, _ keyer, idx image.Index) { delete(idx, "sample-app") }, []string{"sample-app"}},
		{"a spec of an unknown input", func(t *testing.T, k keyer, _ image.Index) {
			writeFiles(t, k.root, map[string]string{"hack/sandbox/images/toolbox.json": `{"files":[{"src":"${NEW_BIN}"}]}`})
		}, []string{"toolbox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newCheckout(t)
			idx := built(t, k)
			tt.change(t, k, idx)
			stale, err := k.staleImages(idx, func(error) {})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(stale)); !slices.Equal(got, tt.want) {
				t.Errorf("stale = %v, want %v", got, tt.want)
			}
		})
	}
}

func remove(rel string) func(*testing.T, keyer) {
	return func(t *testing.T, k keyer) {
		if err := os.Remove(filepath.Join(k.root, rel)); err != nil {
			t.Fatal(err)
		}
	}
}

// repoRoot is this checkout.
const repoRoot = "../../.."

// TestRepoSpecsAreKeyed: every variable of this repository's image specs
// has a known input, and every binary one names is an output of a step
// of make tools (the path build-sandbox.sh and build-jaeger.sh write).
func TestRepoSpecsAreKeyed(t *testing.T) {
	k, err := newKeyer(repoRoot, toolbuild.Steps())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(k.toolchain, "go1.") {
		t.Errorf("toolchain %q names no Go version", k.toolchain)
	}
	names, err := imageNames(repoRoot)
	if err != nil || len(names) == 0 {
		t.Fatalf("imageNames = %v, %v", names, err)
	}
	for _, name := range names {
		if _, err := k.inputs(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestTreesHoldEveryImportedPackage: the trees hashed for the builder,
// the toolbox and sample-app hold every package of this repository that
// their builds compile, so no edit of a compiled file escapes the key.
func TestTreesHoldEveryImportedPackage(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	trees := slices.Clone(builderTrees)
	for _, in := range specInputs {
		if in.tree != "" {
			trees = append(trees, in.tree)
		}
	}
	builds := []struct{ dir, tags, pkgs string }{
		{".", "", "./cmd/tools ./test/toolbox"},
		// The tags of the sample-app build (inputs.go).
		{"sample-app", "grpcnotrace", "."},
	}
	for _, b := range builds {
		for _, dir := range depDirs(t, filepath.Join(root, b.dir), b.tags, b.pkgs) {
			rel, err := filepath.Rel(root, dir)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue // the standard library or the module cache: pinned by go.sum and the toolchain
			}
			if rel == "." && slices.Contains(commonFiles, "versions.go") {
				continue // the root package: versions.go and what it embeds are common files
			}
			if !slices.ContainsFunc(trees, func(tree string) bool { return within(filepath.ToSlash(rel), tree) }) {
				t.Errorf("%s (built from %s %s) is in no hashed tree %v: add its tree to builderTrees or specInputs", rel, b.dir, b.pkgs, trees)
			}
		}
	}
}

func within(rel, tree string) bool {
	return rel == tree || strings.HasPrefix(rel, tree+"/")
}

// depDirs are the directories of every package the build compiles.
func depDirs(t *testing.T, dir, tags, pkgs string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-tags", tags, "-f", "{{.Dir}}"}, strings.Fields(pkgs)...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, exit.Stderr)
		}
		t.Fatal(err)
	}
	return strings.Fields(string(out))
}
