package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// epoch is every entry's modification time, so the same inputs give the
// same layer digest (and an unchanged image re-imports as a no-op).
var epoch = time.Unix(0, 0).UTC()

// entry is one path of the layer.
type entry struct {
	dir      bool
	src      string // file content from this machine
	data     []byte // or content made here
	mode     int64
	uid, gid int
}

// tree is the layer being assembled: image path -> entry.
type tree map[string]*entry

func (t tree) addDir(p string, mode int64, uid, gid int) {
	p = path.Clean(p)
	for parent := path.Dir(p); parent != "/"; parent = path.Dir(parent) {
		if _, ok := t[parent]; !ok {
			t[parent] = &entry{dir: true, mode: 0o755}
		}
	}
	t[p] = &entry{dir: true, mode: mode, uid: uid, gid: gid}
}

func (t tree) addFile(p string, e *entry) {
	p = path.Clean(p)
	if parent := path.Dir(p); parent != "/" {
		if _, ok := t[parent]; !ok {
			t.addDir(parent, 0o755, 0, 0)
		}
	}
	t[p] = e
}

func parseMode(s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	m, err := strconv.ParseInt(s, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("mode %q: want octal, like 0755", s)
	}
	return m, nil
}

// addSource copies a file, or a directory with everything under it.
// Symbolic links are followed: the image holds their content.
func (t tree) addSource(f File) error {
	info, err := os.Stat(f.Src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		mode, err := parseMode(f.Mode, int64(info.Mode().Perm()))
		if err != nil {
			return err
		}
		t.addFile(f.Dst, &entry{src: f.Src, mode: mode})
		return nil
	}
	return filepath.WalkDir(f.Src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(f.Src, p)
		if err != nil {
			return err
		}
		dst := path.Join(f.Dst, filepath.ToSlash(rel))
		info, err := os.Stat(p)
		if err != nil {
			return err
		}
		if info.IsDir() {
			t.addDir(dst, int64(info.Mode().Perm()), 0, 0)
			return nil
		}
		t.addFile(dst, &entry{src: p, mode: int64(info.Mode().Perm())})
		return nil
	})
}

// passwd renders /etc/passwd and /etc/group for the users (root first, as
// every image has it).
func passwd(users []User) (passwdFile, groupFile []byte) {
	var pw, gr bytes.Buffer
	pw.WriteString("root:x:0:0:root:/root:/sbin/nologin\n")
	gr.WriteString("root:x:0:\n")
	for _, u := range users {
		home := u.Home
		if home == "" {
			home = "/nonexistent"
		}
		fmt.Fprintf(&pw, "%s:x:%d:%d:%s:%s:/sbin/nologin\n", u.Name, u.UID, u.GID, u.Name, home)
		fmt.Fprintf(&gr, "%s:x:%d:\n", u.Name, u.GID)
	}
	return pw.Bytes(), gr.Bytes()
}

// writeTar writes the tree as a tar stream, paths sorted.
func (t tree) writeTar(w io.Writer) error {
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	tw := tar.NewWriter(w)
	for _, p := range paths {
		e := t[p]
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(p, "/"),
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: epoch,
			Format:  tar.FormatPAX,
		}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			continue
		}
		data := e.data
		if e.src != "" {
			var err error
			if data, err = os.ReadFile(e.src); err != nil {
				return err
			}
		}
		hdr.Typeflag = tar.TypeReg
		hdr.Size = int64(len(data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}
