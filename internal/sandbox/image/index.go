package image

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"

	"github.com/play-kubernetes/play-kubernetes/internal/atomicfile"
)

// Index is what `make tools` built, per image name (its spec's): the key
// of the inputs it was built from, by which the next build skips it, and
// the digest and names the sandbox imports it by. One file for every
// image, beside the tarballs.
type Index map[string]Built

// Built is one built image.
type Built struct {
	Key    string   `json:"key"`
	Digest string   `json:"digest"`
	Refs   []string `json:"refs"`
}

// LoadIndex reads the index; a missing one is empty.
func LoadIndex(file string) (Index, error) {
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return Index{}, nil
	}
	if err != nil {
		return nil, err
	}
	idx := Index{}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, err
	}
	return idx, nil
}

// Save writes the index whole.
func (idx Index) Save(file string) error {
	raw, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(file, append(raw, '\n'), 0o644)
}
