package recovery

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// Held is a stack held by a recovery, through the engine's own lock.
//
// Two ways were open: remove only the lock files observed stale, or hold
// one process-level lock (flock) for the whole command. A flock binds only
// the processes that take it: a `pulumi refresh` or `pulumi up` from the
// user's shell (make env) does not, so a recovery would still act under
// it. The engine's lock binds every run of the stack, ours and the CLI's,
// on any host sharing the backend. So a recovery removes only the lock
// files it saw stale, each checked again right before (a lock file is one
// run's, by a name no other run uses: removing it can never take a live
// run's), and then takes the stack by the engine's own protocol (write a
// lock file, then look for any other) while it repairs Helm releases, so
// no run starts in the middle of a repair. `pulumi cancel`, which removed
// every lock file of the stack, took the lock of a run started in between.
type Held struct {
	// path is this recovery's lock file ("" where the backend keeps no
	// lock files: a service backend locks the stack itself).
	path string
	// Cleared are the stale locks removed before the stack was taken.
	Cleared []Lock
}

// Hold removes the stack's stale locks and takes the stack. It refuses,
// with the holder named, while any other run holds it: a live process on
// this host, or any run of another host.
func Hold(backendURL, project, stack, host string) (*Held, error) {
	dir, ok := lockDir(backendURL, project, stack)
	if !ok {
		return &Held{}, nil
	}
	locks, err := readLocks(dir)
	if err != nil {
		return nil, err
	}
	for _, l := range locks {
		if !l.Stale(host) {
			return nil, inUse(stack, l)
		}
	}
	cleared, err := clearStale(stack, locks, host)
	if err != nil {
		return nil, err
	}
	path, err := writeOwnLock(dir, host)
	if err != nil {
		return nil, fmt.Errorf("taking stack %s: %w", stack, err)
	}
	// The engine's check after its write: a run that wrote its lock at the
	// same time sees this one and stops as well; at most one goes on.
	others, err := readLocks(dir)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	for _, l := range others {
		if l.Path != path {
			os.Remove(path)
			return nil, inUse(stack, l)
		}
	}
	return &Held{path: path, Cleared: cleared}, nil
}

// Release gives the stack back.
func (h *Held) Release() error {
	if h.path == "" {
		return nil
	}
	if err := os.Remove(h.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("releasing the stack: remove %s by hand, or the next run finds it locked: %w", h.path, err)
	}
	return nil
}

// clearStale removes the lock files observed stale, each read again right
// before it goes: one whose run is alive after all (a reused pid) stops
// the recovery, one already gone (another recovery took it) is skipped.
func clearStale(stack string, observed []Lock, host string) ([]Lock, error) {
	var cleared []Lock
	for _, seen := range observed {
		l, err := readLock(seen.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return cleared, err
		}
		if !l.Stale(host) {
			return cleared, inUse(stack, l)
		}
		if err := os.Remove(l.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return cleared, fmt.Errorf("removing the stale lock %s of a killed run: %w", l.Path, err)
		}
		// The engine's blob store keeps each file's attributes beside it.
		_ = os.Remove(l.Path + ".attrs")
		cleared = append(cleared, l)
	}
	return cleared, nil
}

// writeOwnLock writes a lock file as the engine does (a new random name,
// the engine's fields), naming this process' program so that another
// recovery judges it alive.
func writeOwnLock(dir, host string) (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	me := Lock{PID: os.Getpid(), Host: host, Time: time.Now()}
	if u, err := user.Current(); err == nil {
		me.User = u.Username
	}
	me.Program, _ = running(me.PID)
	if me.Program == "" {
		return "", fmt.Errorf("reading this process (pid %d) under %s: a lock must name a process that can be checked", me.PID, procDir)
	}
	raw, err := json.Marshal(me)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Written beside the lock directory and linked in whole, so no reader
	// (the engine, another recovery) ever finds it half-written.
	tmp, err := os.CreateTemp(filepath.Dir(dir), ".playk8s-lock-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(raw)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, hex.EncodeToString(id)+".json")
	if err := os.Link(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// inUse is the refusal naming who holds the stack.
func inUse(stack string, l Lock) error {
	by := fmt.Sprintf("pid %d", l.PID)
	if l.Program != "" {
		by += ", " + l.Program
	}
	return fmt.Errorf("stack %s is in use by %s@%s (%s) since %s: wait for that run to end, or stop it",
		stack, l.User, l.Host, by, l.Time.Format("15:04:05 MST"))
}
