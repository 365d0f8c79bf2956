package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartAliveStop: a started daemon is alive under its binary and no
// other, and Stop leaves it gone.
func TestStartAliveStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	sleep, _ = filepath.EvalSymlinks(sleep)
	pid, err := Start(Spec{Name: "sleeper", Binary: sleep, Args: []string{"60"}, Log: filepath.Join(t.TempDir(), "sleeper.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Stop([]int{pid}, time.Second) })
	if !Alive(pid, sleep) {
		t.Fatalf("pid %d is not alive as %s", pid, sleep)
	}
	if Alive(pid, "/usr/sbin/sshd") {
		t.Errorf("pid %d counts as another binary", pid)
	}
	Stop([]int{pid}, 5*time.Second)
	// Our child is a zombie until reaped: it has no executable any more.
	if Alive(pid, sleep) {
		t.Errorf("pid %d still alive after Stop", pid)
	}
}

// TestStartAddsEnv: a spec's Env reaches the daemon and wins over the
// same name in this process's environment (containerd's PATH puts the
// shim built beside it first).
func TestStartAddsEnv(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh(1)")
	}
	t.Setenv("PLAYK8S_PROCESS_TEST", "inherited")
	log := filepath.Join(t.TempDir(), "env.log")
	pid, err := Start(Spec{Name: "env", Binary: sh, Args: []string{"-c", `echo "$PLAYK8S_PROCESS_TEST $PATH"`},
		Env: []string{"PLAYK8S_PROCESS_TEST=set", "PATH=/first:" + os.Getenv("PATH")}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for Running(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "set /first:") {
		t.Errorf("the daemon saw %q, want the spec's value and its PATH first", got)
	}
}
