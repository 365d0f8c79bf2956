package image

import (
	"debug/elf"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// libDirs are where Debian's dynamic loader finds libraries on amd64,
// in its search order (ld.so.conf.d/x86_64-linux-gnu.conf, then the
// defaults).
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib"}

// sharedLibs is the closure of the shared libraries an ELF file needs,
// and its loader: image path -> file on this machine. A static binary
// needs none.
func sharedLibs(file string) (map[string]string, error) {
	out := map[string]string{}
	var visit func(string) error
	visit = func(f string) error {
		e, err := elf.Open(f)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		defer e.Close()
		for _, p := range e.Progs {
			if p.Type != elf.PT_INTERP {
				continue
			}
			buf := make([]byte, p.Filesz)
			if _, err := p.ReadAt(buf, 0); err != nil {
				return fmt.Errorf("%s: interpreter: %w", f, err)
			}
			interp := string(buf[:len(buf)-1]) // NUL-terminated
			if _, err := os.Stat(interp); err != nil {
				return fmt.Errorf("%s: loader %s: %w", f, interp, err)
			}
			out[interp] = interp
		}
		needed, err := e.ImportedLibraries()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, lib := range needed {
			found := ""
			for _, dir := range libDirs {
				candidate := path.Join(dir, lib)
				if _, err := os.Stat(candidate); err == nil {
					found = candidate
					break
				}
			}
			if found == "" {
				return fmt.Errorf("%s needs %s, which is in none of %v: install the Debian package that ships it (apt-file search %s)", filepath.Base(f), lib, libDirs, lib)
			}
			if _, seen := out[found]; seen {
				continue
			}
			out[found] = found
			if err := visit(found); err != nil {
				return err
			}
		}
		return nil
	}
	return out, visit(file)
}
