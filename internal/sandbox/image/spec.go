// Package image builds the sandbox's container images from files on this
// machine (binaries built from the Go module proxy, Debian packages), since
// no registry can be reached to pull them. A Spec lists what goes into the
// one layer and the image's config; WriteTarball writes a tarball that
// `ctr images import` loads into the sandbox's containerd, which is what
// `kind load` and `minikube image load` do. Index is what was built
// (internal/sandbox/imagebuild writes it, the sandbox imports by it).
package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Spec is one image, read from a JSON file (hack/sandbox/images/*.json).
type Spec struct {
	// Refs are the names the image is imported under (at least one).
	Refs []string `json:"refs"`
	// Files are copied from this machine into the image.
	Files []File `json:"files,omitempty"`
	// Dirs are made empty, for volumes and for writable paths.
	Dirs []Dir `json:"dirs,omitempty"`
	// Users become /etc/passwd and /etc/group, so the image's user has a name.
	Users  []User `json:"users,omitempty"`
	Config Config `json:"config"`
	Labels Labels `json:"labels,omitempty"`
}

// File is a file, or a directory copied whole, from Src to Dst. With Libs,
// the shared libraries an ELF executable needs (and their own) are copied
// too, to the paths the dynamic loader looks in.
type File struct {
	Src  string `json:"src"`
	Dst  string `json:"dst"`
	Mode string `json:"mode,omitempty"` // octal; default: the source's
	Libs bool   `json:"libs,omitempty"`
}

// Dir is an empty directory owned by UID:GID.
type Dir struct {
	Path string `json:"path"`
	Mode string `json:"mode,omitempty"` // octal; default 0755
	UID  int    `json:"uid,omitempty"`
	GID  int    `json:"gid,omitempty"`
}

// User is a line of /etc/passwd (and its group's line of /etc/group).
type User struct {
	Name string `json:"name"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Home string `json:"home,omitempty"`
}

// Config is the part of the OCI image config a runtime reads.
type Config struct {
	Entrypoint   []string `json:"entrypoint,omitempty"`
	Cmd          []string `json:"cmd,omitempty"`
	Env          []string `json:"env,omitempty"`
	User         string   `json:"user,omitempty"`
	WorkingDir   string   `json:"workingDir,omitempty"`
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	// StopSignal is what the runtime stops the container with (default
	// SIGTERM), as a Dockerfile's STOPSIGNAL sets it.
	StopSignal string `json:"stopSignal,omitempty"`
}

// Labels are the image's OCI labels.
type Labels map[string]string

// Load reads a spec, expanding ${VAR} from lookup in every string
// (sources and names come from versions.env and the build scripts). An
// unset variable is an error, never an empty path.
func Load(file string, lookup func(string) (string, bool)) (*Spec, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var missing []string
	expanded := os.Expand(string(raw), func(v string) string {
		val, ok := lookup(v)
		if !ok {
			missing = append(missing, v)
		}
		return val
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: unset variables: %s", file, strings.Join(missing, ", "))
	}
	var s Spec
	dec := json.NewDecoder(strings.NewReader(expanded))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &s, nil
}

// Validate checks what Build would otherwise fail on halfway.
func (s *Spec) Validate() error {
	var errs []error
	if len(s.Refs) == 0 {
		errs = append(errs, errors.New("refs: want at least one image name"))
	}
	for _, r := range s.Refs {
		if _, err := name.NewTag(r, name.StrictValidation); err != nil {
			errs = append(errs, fmt.Errorf("refs: %q: %w (want registry/repository:tag)", r, err))
		}
	}
	for _, f := range s.Files {
		if f.Src == "" || !path.IsAbs(f.Dst) {
			errs = append(errs, fmt.Errorf("files: %q -> %q: want a source and an absolute destination", f.Src, f.Dst))
		}
	}
	for _, d := range s.Dirs {
		if !path.IsAbs(d.Path) {
			errs = append(errs, fmt.Errorf("dirs: %q: want an absolute path", d.Path))
		}
	}
	if len(s.Config.Entrypoint) == 0 && len(s.Config.Cmd) == 0 {
		errs = append(errs, errors.New("config: want an entrypoint or a cmd"))
	}
	return errors.Join(errs...)
}
