// Package record is the sandbox's one record: what `sandbox up` made and
// started, written as it goes (so a killed `up` leaves what it did
// recorded), which `down` and `status` act on whatever SANDBOX_* says
// then. It replaces the script's PID, mode, namespace, key and host files.
//
// The record is a file under .state/ that `down` reads as root, so `down`
// acts only on entries the sandbox itself can make (Check, an allow-list
// in code) and refuses every other one by name.
package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/play-kubernetes/play-kubernetes/internal/atomicfile"
)

// Mode is how the sandbox runs its pods.
type Mode string

const (
	// Real runs real pods: a kubelet, containerd and runc in a sealed
	// network namespace.
	Real Mode = "real"
	// Kwok simulates every pod: the control plane on 127.0.0.1, no
	// container runs (the long-chain benchmarks).
	Kwok Mode = "kwok"
)

// Record is what one `up` made.
type Record struct {
	Mode Mode `json:"mode"`
	// Netns is the network namespace's name (real mode), recorded before
	// anything is made; NetnsPath, RuntimeDir and Cgroups are derived from
	// it and recorded too, and `down` checks they still are.
	Netns      string `json:"netns,omitempty"`
	NetnsPath  string `json:"netnsPath,omitempty"`
	RuntimeDir string `json:"runtimeDir,omitempty"`
	// Cgroups are the cgroup directories up made.
	Cgroups []string `json:"cgroups,omitempty"`
	// DataDirs are the cluster's data directories under the state
	// directory, deleted by `down`; MountRoots the directories under which
	// `down` unmounts whatever is mounted (containers, volumes, pod
	// network namespaces).
	DataDirs   []string `json:"dataDirs,omitempty"`
	MountRoots []string `json:"mountRoots,omitempty"`
	// Sysctls are the host's kernel settings the kubelet changes, with
	// their values before it started.
	Sysctls []Sysctl `json:"sysctls,omitempty"`
	// SysctlsRecorded says Sysctls and HostPathsCreated were taken (once
	// per sandbox, before the kubelet's first start).
	SysctlsRecorded bool `json:"sysctlsRecorded,omitempty"`
	// HostPathsCreated are the kubelet's hard-coded host paths that did
	// not exist before up.
	HostPathsCreated []string `json:"hostPathsCreated,omitempty"`
	// Processes are the components started, in order.
	Processes []Process `json:"processes,omitempty"`
	// Images are the image tarballs imported into containerd.
	Images []Image `json:"images,omitempty"`
	// Key is the key of what a complete `up` was started from; empty
	// while an up runs or after one was killed.
	Key string `json:"key,omitempty"`
}

// Sysctl is one kernel setting and its value.
type Sysctl struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Process is one started component.
type Process struct {
	Name   string `json:"name"`
	PID    int    `json:"pid"`
	Binary string `json:"binary"`
	// InNetns is whether it was started inside the network namespace.
	InNetns bool `json:"inNetns,omitempty"`
}

// Image is one imported tarball: its digest and names as it was built.
type Image struct {
	Name   string   `json:"name"`
	Digest string   `json:"digest"`
	Refs   []string `json:"refs"`
}

// Load reads the record; found is false when there is none.
func Load(file string) (r Record, found bool, err error) {
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Record{}, true, fmt.Errorf("sandbox record %s: %w", file, err)
	}
	return r, true, nil
}

// Save writes the record whole, so a killed up leaves the last complete
// record.
func (r Record) Save(file string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(file, append(raw, '\n'), 0o644)
}

// Process returns the recorded process of a component.
func (r Record) Process(name string) (Process, bool) {
	for _, p := range r.Processes {
		if p.Name == name {
			return p, true
		}
	}
	return Process{}, false
}

// SetProcess records a started component, replacing an earlier start.
func (r *Record) SetProcess(p Process) {
	r.Processes = setByName(r.Processes, p, func(p Process) string { return p.Name })
}

// SetImage records an imported image, replacing an earlier import.
func (r *Record) SetImage(img Image) {
	r.Images = setByName(r.Images, img, func(i Image) string { return i.Name })
}

// setByName replaces the entry of v's name in list, or appends v.
func setByName[T any](list []T, v T, name func(T) string) []T {
	for i := range list {
		if name(list[i]) == name(v) {
			list[i] = v
			return list
		}
	}
	return append(list, v)
}
