package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testNamespace makes a network namespace with `ip netns add` (root
// only), an address on its loopback that exists nowhere else, and a
// listener on it; it is deleted when the test ends.
func testNamespace(t *testing.T) (path, addr string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2)")
	}
	name := fmt.Sprintf("playk8s-netns-test-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	for _, args := range [][]string{{"link", "set", "lo", "up"}, {"addr", "add", "10.255.254.1/32", "dev", "lo"}} {
		cmd := exec.Command("ip", append([]string{"-n", name}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	path = "/run/netns/" + name
	// The listener's socket is made on a thread inside the namespace.
	ready := make(chan net.Listener, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(path)
		if err != nil {
			ready <- nil
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ready <- nil
			return
		}
		l, err := net.Listen("tcp4", "10.255.254.1:0")
		if err != nil {
			ready <- nil
			return
		}
		ready <- l
	}()
	l := <-ready
	if l == nil {
		t.Fatal("could not listen inside the namespace")
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("inside"))
			c.Close()
		}
	}()
	return path, l.Addr().String()
}

func TestDialReachesOnlyInsideTheNamespace(t *testing.T) {
	path, addr := testNamespace(t)
	d := Dialer{Path: path}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial inside: %v", err)
	}
	buf := make([]byte, 6)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(buf); err != nil || string(buf) != "inside" {
		t.Errorf("read %q, %v", buf, err)
	}
	c.Close()

	// The same address from the host's namespace: it does not exist here.
	var host net.Dialer
	if c, err := host.DialContext(ctx, "tcp", addr); err == nil {
		c.Close()
		t.Errorf("dialing %s from the host namespace succeeded: the address leaked out of the namespace", addr)
	}
	// And the calling goroutine's thread never left the host namespace.
	target, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	here, err := os.Stat("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(target, here) {
		t.Error("the test's own thread ended up in the sandbox namespace")
	}
}

func TestDialRefusesNames(t *testing.T) {
	path, _ := testNamespace(t)
	_, err := Dialer{Path: path}.DialContext(context.Background(), "tcp", "localhost:80")
	if err == nil {
		t.Fatal("dialing a name succeeded; names would be resolved by the host's resolver")
	}
}

func TestCheckRefusesOrdinaryFiles(t *testing.T) {
	f := t.TempDir() + "/not-a-netns"
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (Dialer{Path: f}).Check(); err == nil {
		t.Error("Check accepted an ordinary file as a network namespace")
	}
	if err := (Dialer{Path: f + "-missing"}).Check(); err == nil {
		t.Error("Check accepted a missing path")
	}
}
