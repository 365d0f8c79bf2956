package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// RenderMarker is the file a render leaves in the directory it wrote,
// listing the files it wrote there: the only files a later render may
// replace.
const RenderMarker = ".playk8s-render"

// renderOutputs are the directories the provider's render mode writes:
// CRDs first, then every other object.
var renderOutputs = []string{"0-crd", "1-manifest"}

// renderMarkerHeader explains the marker to a user who finds it.
const renderMarkerHeader = `# Written by playk8s render (make render): the files below are the manifests
# it wrote here. A later render into this directory replaces these files and
# only these. Files of yours beside 0-crd/ and 1-manifest/ are left alone; a
# file of yours inside them stops the render, with its name.
`

// guardedDir is a directory a render must never write into, nor into a
// directory containing it, with what would be lost.
type guardedDir struct {
	path, what string
}

// renderGuards are the directories whose loss cannot be undone: the
// checkout, the state directory (every stack's state and the generated
// passphrase: its stacks and their secrets), the user's home. The
// filesystem root contains them all.
func (l Layout) renderGuards() []guardedDir {
	g := []guardedDir{
		{l.Root, "the project root (the checkout, and in .state every stack's state and passphrase)"},
		{l.StateDir, "the project's state directory (every stack's state and passphrase, which nothing regenerates)"},
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		g = append(g, guardedDir{home, "your home directory (your own files)"})
	}
	return g
}

// renderTarget is a directory a render may write to, as checkRenderDir
// found it.
type renderTarget struct {
	// dir is absolute, its symlinks resolved.
	dir    string
	guards []guardedDir
	// previous are the files an earlier render wrote there (its marker's
	// list), slash-separated and relative to dir.
	previous []string
}

// checkRenderDir decides, changing nothing, whether a render may write to
// dir: a directory that does not exist yet, an empty one, or one an
// earlier render wrote (it holds RenderMarker). Anything else is refused
// with the names of the files in the way, and so are the guarded
// directories and every directory containing one, whatever they hold.
//
// In a directory an earlier render wrote, a user may keep files of their
// own beside the render's (a kustomization.yaml naming 1-manifest/, a
// README): a careful user expects a re-render to refresh the manifests
// and leave those alone, so they are kept. A file inside 0-crd/ or
// 1-manifest/ that the earlier render did not write cannot be told from a
// user's own, so it is refused by name rather than deleted. A rendered
// file the user edited is still the render's: it is replaced, as any
// generated output is.
func checkRenderDir(dir string, guards []guardedDir) (renderTarget, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return renderTarget{}, err
	}
	resolved, err := resolveExisting(abs)
	if err != nil {
		return renderTarget{}, fmt.Errorf("render directory %s: %w", abs, err)
	}
	name := abs
	if resolved != abs {
		name = fmt.Sprintf("%s (%s)", abs, resolved)
	}
	for _, g := range guards {
		gp, err := resolveExisting(filepath.Clean(g.path))
		if err != nil {
			gp = filepath.Clean(g.path)
		}
		if !within(resolved, gp) {
			continue
		}
		if gp == resolved {
			return renderTarget{}, fmt.Errorf("render directory %s is %s; a render never writes there: want a new or empty directory, or one an earlier render wrote (e.g. rendered/<stack>)", name, g.what)
		}
		return renderTarget{}, fmt.Errorf("render directory %s contains %s, %s; a render never writes there: want a new or empty directory, or one an earlier render wrote (e.g. rendered/<stack>)", name, gp, g.what)
	}
	t := renderTarget{dir: resolved, guards: guards}
	info, err := os.Stat(resolved)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return renderTarget{}, err
	}
	if !info.IsDir() {
		return renderTarget{}, fmt.Errorf("render directory %s is a file, not a directory; want a new or empty directory", name)
	}
	entries, err := os.ReadDir(resolved)
	if err != nil {
		return renderTarget{}, err
	}
	if len(entries) == 0 {
		return t, nil
	}
	marker := filepath.Join(resolved, RenderMarker)
	if _, err := os.Lstat(marker); errors.Is(err, fs.ErrNotExist) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return renderTarget{}, fmt.Errorf("render directory %s holds files no render wrote (%s: no %s); a render writes only into a new or empty directory, or one an earlier render wrote: choose another directory, or move those files away", name, listSome(names), RenderMarker)
	}
	if t.previous, err = readRenderMarker(marker); err != nil {
		return renderTarget{}, fmt.Errorf("render directory %s: %w", name, err)
	}
	var unknown []string
	for _, out := range renderOutputs {
		files, err := filesUnder(resolved, out)
		if err != nil {
			return renderTarget{}, fmt.Errorf("render directory %s: %w", name, err)
		}
		for _, f := range files {
			if !slices.Contains(t.previous, f) {
				unknown = append(unknown, f)
			}
		}
	}
	if len(unknown) > 0 {
		return renderTarget{}, fmt.Errorf("render directory %s: %s not written by the earlier render (not listed in %s), and a render replaces everything in %s/: move them out, or choose another directory", name, listSome(unknown), RenderMarker, strings.Join(renderOutputs, "/ and "))
	}
	return t, nil
}

// resolveExisting resolves the symlinks of the longest part of an
// absolute path that exists, so a link to a guarded directory, or a new
// directory under one, is judged where it really is.
func resolveExisting(p string) (string, error) {
	rest := ""
	for {
		if _, err := os.Lstat(p); err == nil {
			r, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", err
			}
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest), nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// within reports whether inner is dir itself or inside it.
func within(dir, inner string) bool {
	rel, err := filepath.Rel(dir, inner)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readRenderMarker reads the files an earlier render listed. The marker
// is a file in a user's directory, so each entry is checked to be a path
// a render writes (under 0-crd/ or 1-manifest/), never one outside.
func readRenderMarker(marker string) ([]string, error) {
	f, err := os.Open(marker)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !renderedPath(line) {
			return nil, fmt.Errorf("%s lists %q; want files under %s/ only (a render wrote none elsewhere): remove the marker's stray line, or choose another directory", marker, line, strings.Join(renderOutputs, "/ or "))
		}
		files = append(files, line)
	}
	return files, sc.Err()
}

// renderedPath reports whether p (slash-separated) is a file a render
// writes: clean, relative, under one of renderOutputs.
func renderedPath(p string) bool {
	if path.Clean(p) != p || path.IsAbs(p) {
		return false
	}
	for _, out := range renderOutputs {
		if strings.HasPrefix(p, out+"/") {
			return true
		}
	}
	return false
}

// filesUnder lists every non-directory under dir/sub, slash-separated and
// relative to dir. sub must be a real directory: through a symlink, a
// later render's removals would reach outside dir.
func filesUnder(dir, sub string) ([]string, error) {
	root := filepath.Join(dir, sub)
	info, err := os.Lstat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a directory (a symlink or a file), so it is not the earlier render's; move it away, or choose another directory", root)
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	return files, err
}

// listSome names up to five entries, then how many more.
func listSome(names []string) string {
	slices.Sort(names)
	if len(names) <= 5 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:5], ", "), len(names)-5)
}

// replace puts the files of a fresh render (under from, paths relative to
// it) into the target in place of the earlier render's, checking the
// directory again first: a render takes a while, and a user may have put
// a file there meanwhile. The marker lists both sets while they are
// swapped, so a run killed half-way leaves nothing unlisted behind.
func (t renderTarget) replace(from string, files []string) error {
	now, err := checkRenderDir(t.dir, t.guards)
	if err != nil {
		return err
	}
	for _, f := range files {
		if !renderedPath(f) {
			return fmt.Errorf("render wrote %s, outside %s/", f, strings.Join(renderOutputs, "/ and "))
		}
	}
	if err := os.MkdirAll(now.dir, 0o755); err != nil {
		return err
	}
	union := slices.Concat(now.previous, files)
	slices.Sort(union)
	if err := writeRenderMarker(now.dir, slices.Compact(union)); err != nil {
		return err
	}
	for _, f := range now.previous {
		if err := os.Remove(filepath.Join(now.dir, filepath.FromSlash(f))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	for _, out := range renderOutputs {
		// Every file in it was the earlier render's and is gone: what is
		// left are its directories, removed deepest first.
		var dirs []string
		_ = filepath.WalkDir(filepath.Join(now.dir, out), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
	}
	for _, f := range files {
		if err := copyNew(filepath.Join(from, filepath.FromSlash(f)), filepath.Join(now.dir, filepath.FromSlash(f))); err != nil {
			return err
		}
	}
	return writeRenderMarker(now.dir, files)
}

// writeRenderMarker replaces the marker in one rename, so it is never
// seen half-written.
func writeRenderMarker(dir string, files []string) error {
	tmp, err := os.CreateTemp(dir, RenderMarker+".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.WriteString(tmp, renderMarkerHeader+strings.Join(files, "\n")+"\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, RenderMarker))
}

// copyNew copies a rendered file to a path that must not exist: the
// earlier render's file of that name was removed, so one found there now
// is not the render's to overwrite.
func copyNew(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
