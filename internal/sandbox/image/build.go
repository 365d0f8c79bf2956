package image

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Layer assembles the spec's one layer as a tar stream.
func (s *Spec) Layer() ([]byte, error) {
	t := tree{}
	for _, d := range s.Dirs {
		mode, err := parseMode(d.Mode, 0o755)
		if err != nil {
			return nil, fmt.Errorf("dirs: %s: %w", d.Path, err)
		}
		t.addDir(d.Path, mode, d.UID, d.GID)
	}
	for _, f := range s.Files {
		if err := t.addSource(f); err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		if !f.Libs {
			continue
		}
		libs, err := sharedLibs(f.Src)
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		for dst, src := range libs {
			t.addFile(dst, &entry{src: src, mode: 0o755})
		}
	}
	if len(s.Users) > 0 {
		pw, gr := passwd(s.Users)
		t.addFile("/etc/passwd", &entry{data: pw, mode: 0o644})
		t.addFile("/etc/group", &entry{data: gr, mode: 0o644})
	}
	var buf bytes.Buffer
	if err := t.writeTar(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Image is the spec as an image for linux/amd64 (this machine's platform).
func (s *Spec) Image() (v1.Image, error) {
	layerTar, err := s.Layer()
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = s.Config.Entrypoint
	cfg.Config.Cmd = s.Config.Cmd
	cfg.Config.Env = s.Config.Env
	cfg.Config.User = s.Config.User
	cfg.Config.WorkingDir = s.Config.WorkingDir
	cfg.Config.StopSignal = s.Config.StopSignal
	cfg.Config.Labels = s.Labels
	if len(s.Config.ExposedPorts) > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range s.Config.ExposedPorts {
			cfg.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cfg)
}

// WriteTarball writes the image under all its names to out (written to a
// temporary file and renamed, so a killed build never leaves half a
// tarball for the next import).
func (s *Spec) WriteTarball(out string) (v1.Hash, error) {
	img, err := s.Image()
	if err != nil {
		return v1.Hash{}, err
	}
	refs := map[name.Reference]v1.Image{}
	for _, r := range s.Refs {
		tag, err := name.NewTag(r, name.StrictValidation)
		if err != nil {
			return v1.Hash{}, err
		}
		refs[tag] = img
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".image-*.tar")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.Remove(tmp.Name())
	if err := tarball.MultiRefWrite(refs, tmp); err != nil {
		tmp.Close()
		return v1.Hash{}, err
	}
	if err := tmp.Close(); err != nil {
		return v1.Hash{}, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}
