// Package contenthash writes files into a hash by name and content, for
// keys that must change exactly when the bytes a build reads do: the
// sample-app image's tag (components.ContextDigest, recorded in stack
// state) and the input keys of the sandbox's images
// (internal/sandbox/imagebuild, recorded in the images' index). It is a
// package of its own, on the standard library alone, so that the image
// builder hashes as components does without importing it and the Pulumi
// SDK with it.
//
// The framing and the order are part of those recorded digests: changing
// either changes every image tag, and every deployed stack then shows a
// diff and rolls its Deployments (a test of components pins a digest).
package contenthash

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// File writes the file at path into h as name: the name, a NUL, the
// file's bytes and a NUL. The name and the separators make renaming a
// file, or moving bytes from one file to the next, change the digest.
func File(h io.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := fmt.Fprintf(h, "%s\x00", name); err != nil {
		return err
	}
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	_, err = h.Write([]byte{0})
	return err
}

// Skip reports whether Tree leaves an entry out: a directory with all
// below it, or a file. Every entry is asked, the tree's own directory
// too. Each caller has its own rule: what its build cannot read.
type Skip func(d fs.DirEntry) bool

// Tree writes every entry under root/dir that is no directory and that
// skip keeps (nil keeps all) into h with File, named by its slash path
// relative to root and in the order of those paths, so that the same
// files give the same digest wherever the tree is checked out. File
// follows a link; a caller that must not leaves links out in skip.
func Tree(h io.Writer, root, dir string, skip Skip) error {
	var files []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip != nil && skip(d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The walk's own order is by name within each directory, which puts
	// a/x before a.txt; sorting the paths puts it after, and is the order
	// recorded digests were taken in.
	sort.Strings(files)
	for _, p := range files {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if err := File(h, filepath.ToSlash(rel), p); err != nil {
			return err
		}
	}
	return nil
}
