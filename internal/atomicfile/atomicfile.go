// Package atomicfile writes a file whole or not at all: under a temporary
// name beside it, renamed into place, so a killed process never leaves
// half a record, index, key or configuration file for the next run to
// trust.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to file with mode, making its directory.
func Write(file string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
