// Package process starts, finds and stops the sandbox's daemons: each a
// detached process (its own session, stdin from /dev/null, output to its
// log) whose PID the record keeps, counted as ours only while
// /proc/<pid>/exe is still its binary (a PID can outlive its process and
// be reused).
//
// A daemon of the sandbox's network namespace is forked from a goroutine
// locked to an OS thread that entered the namespace (netns.Do): Go's
// fork runs on the calling thread and the child inherits its network
// namespace, so the PID returned is the daemon's own from the start.
// nsenter would exec the daemon after entering, and until it has the PID
// is nsenter's (the script waited for that); it would also be one more
// binary the host must have.
package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/netns"
)

// Spec is how to start one daemon.
type Spec struct {
	Name   string
	Binary string
	Args   []string
	// Netns is the namespace file to start it in; "" for the host's.
	Netns string
	// Log receives its standard output and error (appended).
	Log string
	// Env is added to this process's environment (a later entry of the
	// same name wins).
	Env []string
}

// Start starts the daemon detached and returns its PID. It does not wait
// for it: the daemon outlives this process (setsid), and is reaped by
// init once this process exits.
func Start(s Spec) (int, error) {
	logFile, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logFile.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devNull.Close()
	cmd := exec.Command(s.Binary, s.Args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devNull, logFile, logFile
	if len(s.Env) > 0 {
		cmd.Env = append(os.Environ(), s.Env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	start := cmd.Start
	if s.Netns != "" {
		start = func() error { return netns.Do(s.Netns, cmd.Start) }
	}
	if err := start(); err != nil {
		return 0, fmt.Errorf("start %s (%s): %w", s.Name, s.Binary, err)
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	return pid, nil
}

// Alive reports whether pid runs binary. A binary replaced since the
// start (a rebuild renames a new file over it) shows as "<path>
// (deleted)": still the same daemon. A zombie has no executable: gone.
func Alive(pid int, binary string) bool {
	if pid <= 1 {
		return false
	}
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return err == nil && (exe == binary || exe == binary+" (deleted)")
}

// Running reports whether pid has any executable (is neither gone nor a
// zombie).
func Running(pid int) bool {
	_, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return err == nil
}

// Stop sends SIGTERM to each process and waits until every one is gone,
// then SIGKILL to those still running after grace (a stopping API server
// drains for up to 15 s). The caller has checked the PIDs are its own.
func Stop(pids []int, grace time.Duration) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for {
		alive := pids[:0:0]
		for _, pid := range pids {
			if Running(pid) {
				alive = append(alive, pid)
			}
		}
		if pids = alive; len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// KillAll sends SIGKILL to each PID, repeating until none runs or
// attempts are used up (a process may fork while it dies): what is left
// in the namespace or the node's cgroups after the daemons stopped.
func KillAll(list func() []int, attempts int) error {
	for range attempts {
		pids := list()
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if left := list(); len(left) > 0 {
		return fmt.Errorf("processes still running after SIGKILL: %v", left)
	}
	return nil
}

// Tail is the last lines of a log, for an error when a daemon exits.
func Tail(log string, lines int) string {
	raw, err := os.ReadFile(log)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// ErrExited is returned by a wait when the daemon exited.
var ErrExited = errors.New("exited")
