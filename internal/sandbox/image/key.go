package image

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// InputKey identifies what a build of the spec would read: the spec itself
// and the size and modification time of every source file. An unchanged
// key means an unchanged image (builds are reproducible), so `make tools`
// skips it instead of packing and compressing the same bytes again.
// Shared libraries found through Libs are not listed: they change with
// Debian upgrades of this machine, which also touch the binaries' packages.
func (s *Spec) InputKey() (string, error) {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(s); err != nil {
		return "", err
	}
	for _, f := range s.Files {
		err := filepath.WalkDir(f.Src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := os.Stat(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s %d %d %s\n", p, info.Size(), info.ModTime().UnixNano(), info.Mode())
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("files: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
