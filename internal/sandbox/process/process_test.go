package process

import (
	"os/exec"
	"path/filepath"
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
