package recovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	Path string    `json:"-"`
	PID  int       `json:"pid"`
	User string    `json:"username"`
	Host string    `json:"hostname"`
	Time time.Time `json:"timestamp"`
	// Program is the process name of a lock's holder that is not the
	// pulumi CLI: a recovery holding the stack (Hold). The engine ignores
	// fields it does not know.
	Program string `json:"program,omitempty"`
}

// FindLocks reads the locks of a stack in a file:// backend: the engine
// keeps them in .pulumi/locks/organization/<project>/<stack>/. Other
// backends have no lock files to read (nil).
func FindLocks(backendURL, project, stack string) ([]Lock, error) {
	dir, ok := lockDir(backendURL, project, stack)
	if !ok {
		return nil, nil
	}
	return readLocks(dir)
}

// lockDir is the directory of a stack's lock files, when the backend
// keeps them as files.
func lockDir(backendURL, project, stack string) (string, bool) {
	u, err := url.Parse(backendURL)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	return filepath.Join(u.Path, ".pulumi", "locks", "organization", project, stack), true
}

// readLocks reads every lock file of a lock directory.
func readLocks(dir string) ([]Lock, error) {
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
		l, err := readLock(filepath.Join(dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // its run ended while the directory was read
		}
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// readLock reads one lock file.
func readLock(path string) (Lock, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Lock{}, err
	}
	l := Lock{Path: path}
	if err := json.Unmarshal(raw, &l); err != nil {
		return Lock{}, fmt.Errorf("lock %s: %w", path, err)
	}
	return l, nil
}

// procDir is where process liveness is read (a variable for tests).
var procDir = "/proc"

// Stale reports whether the lock's process is gone: it was taken on this
// host and no live process of its program (pulumi, unless the lock names
// another) has its pid. A lock of another host is never stale: that run
// cannot be checked from here.
func (l Lock) Stale(host string) bool {
	if l.Host != host {
		return false
	}
	comm, ok := running(l.PID)
	if !ok {
		return true
	}
	// Checking the program too keeps a reused pid from holding a lock forever.
	if l.Program != "" {
		return comm != l.Program
	}
	return !strings.HasPrefix(comm, "pulumi")
}

// running reports whether pid is a running (not zombie) process, and its
// name (comm).
func running(pid int) (string, bool) {
	if pid <= 0 {
		return "", false
	}
	stat, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", false
	}
	// pid (comm) state ...; comm may hold spaces, so split at the last ')'.
	s := string(stat)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", false
	}
	fields := strings.Fields(s[closing+1:])
	if len(fields) == 0 || fields[0] == "Z" || fields[0] == "X" {
		return "", false
	}
	return s[open+1 : closing], true
}
