package recovery

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Lock is a lock file of a diy (file://) backend: the engine writes one
// for the duration of an update and removes it at the end, so one that
// outlives its process marks a run that was killed.
type Lock struct {
	Path string
	PID  int       `json:"pid"`
	User string    `json:"username"`
	Host string    `json:"hostname"`
	Time time.Time `json:"timestamp"`
}

// FindLocks reads the locks of a stack in a file:// backend: the engine
// keeps them in .pulumi/locks/organization/<project>/<stack>/. Other
// backends have no lock files to read (nil).
func FindLocks(backendURL, project, stack string) ([]Lock, error) {
	u, err := url.Parse(backendURL)
	if err != nil || u.Scheme != "file" {
		return nil, nil
	}
	dir := filepath.Join(u.Path, ".pulumi", "locks", "organization", project, stack)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Lock
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		l := Lock{Path: path}
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// procDir is where process liveness is read (a variable for tests).
var procDir = "/proc"

// Stale reports whether the lock's process is gone: it was taken on this
// host and no live pulumi process has its pid. A lock of another host is
// never stale: that run cannot be checked from here.
func (l Lock) Stale(host string) bool {
	if l.Host != host {
		return false
	}
	return !alivePulumi(l.PID)
}

// alivePulumi reports whether pid is a running (not zombie) pulumi process.
// Checking the command too keeps a reused pid from holding a lock forever.
func alivePulumi(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may hold spaces, so split at the last ')'.
	s := string(stat)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return false
	}
	comm := s[open+1 : closing]
	fields := strings.Fields(s[closing+1:])
	if len(fields) == 0 || fields[0] == "Z" || fields[0] == "X" {
		return false
	}
	return strings.HasPrefix(comm, "pulumi")
}
