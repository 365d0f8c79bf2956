package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// renderWorkplace is a checkout with its state, a home directory beside
// it, and the layout whose guards they are.
type renderWorkplace struct {
	base, root, home string
	layout           Layout
}

func newRenderWorkplace(t *testing.T) renderWorkplace {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := renderWorkplace{base: base, root: filepath.Join(base, "checkout"), home: filepath.Join(base, "home")}
	w.layout = Layout{Root: w.root, StateDir: filepath.Join(w.root, ".state")}
	writeFiles(t, w.root, map[string]string{
		"Pulumi.yaml":                 "name: play-kubernetes\n",
		".state/passphrase":           "secret\n",
		".state/backend/.pulumi/meta": "{}\n",
	})
	if err := os.MkdirAll(w.home, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", w.home)
	return w
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// earlierRender is what a render left: its marker listing its files.
func earlierRender(files ...string) map[string]string {
	m := map[string]string{RenderMarker: renderMarkerHeader + strings.Join(files, "\n") + "\n"}
	for _, f := range files {
		m[f] = "kind: old\n"
	}
	return m
}

// TestCheckRenderDir is which directories a render may write to. Each
// refusal must name the directory and why, and change nothing.
func TestCheckRenderDir(t *testing.T) {
	w := newRenderWorkplace(t)
	outside := filepath.Join(w.base, "elsewhere")
	cases := []struct {
		name string
		// setup makes the directory's content and returns the path given to render.
		setup func(t *testing.T) string
		// want are the words of the refusal; none: accepted.
		want         []string
		wantPrevious []string
	}{
		{name: "a new directory", setup: func(t *testing.T) string { return filepath.Join(outside, "new") }},
		{name: "a new directory under the checkout", setup: func(t *testing.T) string { return filepath.Join(w.root, "rendered", "prod") }},
		{name: "an empty directory", setup: func(t *testing.T) string {
			d := filepath.Join(outside, "empty")
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}},
		{name: "an earlier render", wantPrevious: []string{"0-crd/a.yaml", "1-manifest/b.yaml"}, setup: func(t *testing.T) string {
			d := filepath.Join(outside, "again")
			writeFiles(t, d, earlierRender("0-crd/a.yaml", "1-manifest/b.yaml"))
			return d
		}},
		{name: "an earlier render with the user's files beside it", wantPrevious: []string{"1-manifest/b.yaml"}, setup: func(t *testing.T) string {
			d := filepath.Join(outside, "kustomized")
			writeFiles(t, d, earlierRender("1-manifest/b.yaml"))
			writeFiles(t, d, map[string]string{"kustomization.yaml": "resources: [1-manifest/b.yaml]\n"})
			return d
		}},
		{name: "the user's files, no marker", want: []string{"holds files no render wrote", "notes.txt", RenderMarker}, setup: func(t *testing.T) string {
			d := filepath.Join(outside, "manifests")
			writeFiles(t, d, map[string]string{"notes.txt": "mine\n"})
			return d
		}},
		{name: "a user's file inside the render's directories", want: []string{"1-manifest/mine.yaml", "not written by the earlier render"}, setup: func(t *testing.T) string {
			d := filepath.Join(outside, "mixed")
			writeFiles(t, d, earlierRender("1-manifest/b.yaml"))
			writeFiles(t, d, map[string]string{"1-manifest/mine.yaml": "kind: Mine\n"})
			return d
		}},
		{name: "a marker listing a file outside the render's directories", want: []string{`"../notes.txt"`, "want files under 0-crd/ or 1-manifest/"}, setup: func(t *testing.T) string {
			d := filepath.Join(outside, "tampered")
			writeFiles(t, d, map[string]string{RenderMarker: "1-manifest/b.yaml\n../notes.txt\n"})
			return d
		}},
		{name: "the render's directory is a symlink", want: []string{"1-manifest is not a directory"}, setup: func(t *testing.T) string {
			d := filepath.Join(outside, "linked")
			writeFiles(t, d, earlierRender())
			if err := os.Symlink(w.home, filepath.Join(d, "1-manifest")); err != nil {
				t.Fatal(err)
			}
			return d
		}},
		{name: "a file", want: []string{"is a file, not a directory"}, setup: func(t *testing.T) string {
			f := filepath.Join(outside, "file.yaml")
			writeFiles(t, outside, map[string]string{"file.yaml": "x: 1\n"})
			return f
		}},
		{name: "the project root", want: []string{"is the project root"}, setup: func(t *testing.T) string { return w.root }},
		{name: "a parent of the project root", want: []string{"contains " + w.root + ", the project root"}, setup: func(t *testing.T) string { return w.base }},
		{name: "the filesystem root", want: []string{"render directory / contains " + w.root + ", the project root"}, setup: func(t *testing.T) string { return "/" }},
		{name: "the state directory", want: []string{"is the project's state directory"}, setup: func(t *testing.T) string { return w.layout.StateDir }},
		{name: "the home directory, even empty", want: []string{"is your home directory"}, setup: func(t *testing.T) string { return w.home }},
		{name: "a symlink to the project root", want: []string{"(" + w.root + ") is the project root"}, setup: func(t *testing.T) string {
			link := filepath.Join(outside, "to-root")
			if err := os.MkdirAll(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(w.root, link); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			return link
		}},
		{name: "a new directory through a symlink to the home directory", setup: func(t *testing.T) string {
			link := filepath.Join(outside, "to-home")
			if err := os.Symlink(w.home, link); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			return filepath.Join(link, "manifests")
		}},
		{name: ". in the checkout", want: []string{"is the project root"}, setup: func(t *testing.T) string {
			t.Chdir(w.root)
			return "."
		}},
		{name: ".. from rendered/", want: []string{"is the project root"}, setup: func(t *testing.T) string {
			if err := os.MkdirAll(filepath.Join(w.root, "rendered"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(filepath.Join(w.root, "rendered"))
			return ".."
		}},
		{name: ".. from the checkout", want: []string{"contains " + w.root + ", the project root"}, setup: func(t *testing.T) string {
			t.Chdir(w.root)
			return ".."
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			before := tree(t, w.base)
			target, err := checkRenderDir(dir, w.layout.renderGuards())
			if after := tree(t, w.base); !slices.Equal(before, after) {
				t.Errorf("the check changed files:\nbefore %v\nafter  %v", before, after)
			}
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !slices.Equal(target.previous, tc.wantPrevious) {
					t.Errorf("the earlier render's files = %v, want %v", target.previous, tc.wantPrevious)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s accepted", dir)
			}
			t.Log(err)
			for _, want := range append([]string{"render directory "}, tc.want...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// TestRenderReplacesOnlyItsOwnFiles: a second render into the same
// directory replaces the first's manifests, removes the ones it no longer
// writes, and keeps the user's files beside them.
func TestRenderReplacesOnlyItsOwnFiles(t *testing.T) {
	w := newRenderWorkplace(t)
	dir := filepath.Join(w.base, "out")
	writeFiles(t, dir, earlierRender("0-crd/gone.yaml", "1-manifest/kept.yaml", "1-manifest/sub/old.yaml"))
	writeFiles(t, dir, map[string]string{"kustomization.yaml": "mine\n", "notes/todo.txt": "mine\n"})
	fresh := t.TempDir()
	writeFiles(t, fresh, map[string]string{"1-manifest/kept.yaml": "kind: new\n", "1-manifest/added.yaml": "kind: new\n"})
	target, err := checkRenderDir(dir, w.layout.renderGuards())
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := ListRendered(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := target.replace(fresh, rendered.Files); err != nil {
		t.Fatal(err)
	}
	want := []string{RenderMarker, "1-manifest/added.yaml", "1-manifest/kept.yaml", "kustomization.yaml", "notes/todo.txt"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the render the directory holds %v, want %v", got, want)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, "1-manifest", "kept.yaml")); string(raw) != "kind: new\n" {
		t.Errorf("1-manifest/kept.yaml = %q, want the new render's", raw)
	}
	again, err := checkRenderDir(dir, w.layout.renderGuards())
	if err != nil {
		t.Fatalf("the render's own directory is refused next time: %v", err)
	}
	if !slices.Equal(again.previous, []string{"1-manifest/added.yaml", "1-manifest/kept.yaml"}) {
		t.Errorf("the marker lists %v, want exactly the new render's files", again.previous)
	}
	listed, err := ListRendered(dir)
	if err != nil || !slices.Equal(listed.Files, again.previous) {
		t.Errorf("ListRendered = %v, %v; want the render's files only, not the user's or the marker", listed.Files, err)
	}
}

// TestRenderRechecksBeforeReplacing: a file a user puts into the render's
// directories while the render runs stops it before anything is removed.
func TestRenderRechecksBeforeReplacing(t *testing.T) {
	w := newRenderWorkplace(t)
	dir := filepath.Join(w.base, "out")
	writeFiles(t, dir, earlierRender("1-manifest/old.yaml"))
	target, err := checkRenderDir(dir, w.layout.renderGuards())
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"1-manifest/mine.yaml": "mine\n"})
	fresh := t.TempDir()
	writeFiles(t, fresh, map[string]string{"1-manifest/new.yaml": "kind: new\n"})
	before := tree(t, dir)
	if err := target.replace(fresh, []string{"1-manifest/new.yaml"}); err == nil || !strings.Contains(err.Error(), "1-manifest/mine.yaml") {
		t.Fatalf("error = %v, want the user's file named", err)
	}
	if after := tree(t, dir); !slices.Equal(before, after) {
		t.Errorf("a refused render changed the directory: %v, then %v", before, after)
	}
}

// tree lists every file under dir, slash-separated, for before/after comparisons.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
