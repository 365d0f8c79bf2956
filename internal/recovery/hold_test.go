package recovery

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// holdLockEnv makes the test binary a stand-in for a pulumi run: it writes
// a lock as the engine does, says so, and holds it until it is killed.
const holdLockEnv = "RECOVERY_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdLockEnv); path != "" {
		host, _ := os.Hostname()
		raw, _ := json.Marshal(Lock{PID: os.Getpid(), User: "ci", Host: host, Time: time.Now()})
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		select {}
	}
	os.Exit(m.Run())
}

const testProject, testStack = "play-kubernetes", "sandbox"

// testBackend is a file backend and its stack's lock directory.
func testBackend(t *testing.T) (url, dir string) {
	t.Helper()
	backend := t.TempDir()
	dir, _ = lockDir("file://"+backend, testProject, testStack)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return "file://" + backend, dir
}

// writeLock writes a lock file as the engine does, with its blob store's
// attribute file beside it.
func writeLock(t *testing.T, dir, name string, l Lock) string {
	t.Helper()
	raw, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".attrs", []byte(`{"user.cache_control":""}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lockFiles lists the lock directory's file names.
func lockFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// fakeProcWithSelf is fakeProc with this test process in it, so the lock a
// recovery takes names a process that runs.
func fakeProcWithSelf(t *testing.T, procs map[int]string) {
	t.Helper()
	all := map[int]string{os.Getpid(): "recovery.test) S"}
	for pid, p := range procs {
		all[pid] = p
	}
	fakeProc(t, all)
}

// TestHoldClearsOnlyStaleLocks: a recovery removes the locks whose run is
// gone, and takes nothing while any other run holds the stack.
func TestHoldClearsOnlyStaleLocks(t *testing.T) {
	killed := Lock{PID: 199, User: "ci", Host: "vm"}
	live := Lock{PID: 101, User: "ci", Host: "vm"}
	elsewhere := Lock{PID: 199, User: "ci", Host: "ci-runner-7"}
	cases := []struct {
		name  string
		locks map[string]Lock
		// want is the refusal's words; none: the stack is held.
		want        []string
		wantCleared []int
	}{
		{name: "no lock"},
		{name: "a killed run's lock", locks: map[string]Lock{"a": killed}, wantCleared: []int{199}},
		{name: "a live run's lock", locks: map[string]Lock{"a": live}, want: []string{"in use by ci@vm (pid 101)"}},
		{name: "another host's lock", locks: map[string]Lock{"a": elsewhere}, want: []string{"in use by ci@ci-runner-7 (pid 199)"}},
		{name: "a killed run's lock beside a live one", locks: map[string]Lock{"a": killed, "b": live}, want: []string{"pid 101"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fakeProcWithSelf(t, map[int]string{101: "pulumi) S"})
			url, dir := testBackend(t)
			for name, l := range tc.locks {
				writeLock(t, dir, name, l)
			}
			before := lockFiles(t, dir)
			held, err := Hold(url, testProject, testStack, "vm")
			if len(tc.want) > 0 {
				if err == nil {
					t.Fatal("the stack was taken while another run holds it")
				}
				for _, w := range append([]string{"stack " + testStack}, tc.want...) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if after := lockFiles(t, dir); !slices.Equal(before, after) {
					t.Errorf("a refused recovery changed the locks: %v, then %v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cleared []int
			for _, l := range held.Cleared {
				cleared = append(cleared, l.PID)
			}
			if !slices.Equal(cleared, tc.wantCleared) {
				t.Errorf("cleared the locks of pids %v, want %v", cleared, tc.wantCleared)
			}
			// Held: exactly one lock, this recovery's, which the engine's own
			// check refuses every other run on.
			if got := lockFiles(t, dir); len(got) != 1 || filepath.Join(dir, got[0]) != held.path {
				t.Errorf("while held the lock directory holds %v, want this recovery's lock alone", got)
			}
			if err := held.Release(); err != nil {
				t.Fatal(err)
			}
			if got := lockFiles(t, dir); len(got) != 0 {
				t.Errorf("after the release the lock directory holds %v", got)
			}
		})
	}
}

// TestStaleLockClearedWithoutTouchingANewRun is the race `pulumi cancel`
// lost: a recovery sees a killed run's lock, a new run takes the stack,
// then the recovery clears what it saw. Only the killed run's lock may go;
// the new run's stays and the recovery then stops on it.
func TestStaleLockClearedWithoutTouchingANewRun(t *testing.T) {
	fakeProcWithSelf(t, map[int]string{101: "pulumi) S"})
	url, dir := testBackend(t)
	writeLock(t, dir, "killed", Lock{PID: 199, User: "ci", Host: "vm"})
	observed, err := FindLocks(url, testProject, testStack)
	if err != nil || len(observed) != 1 {
		t.Fatalf("observed %v, %v", observed, err)
	}
	newRun := writeLock(t, dir, "new-run", Lock{PID: 101, User: "ci", Host: "vm"})
	cleared, err := clearStale(testStack, observed, "vm")
	if err != nil || len(cleared) != 1 || cleared[0].PID != 199 {
		t.Fatalf("cleared %v, %v; want the killed run's lock", cleared, err)
	}
	if got, want := lockFiles(t, dir), []string{"new-run.json", "new-run.json.attrs"}; !slices.Equal(got, want) {
		t.Fatalf("after the recovery the locks are %v, want the new run's alone %v", got, want)
	}
	if _, err := Hold(url, testProject, testStack, "vm"); err == nil || !strings.Contains(err.Error(), "pid 101") {
		t.Errorf("Hold = %v, want the new run (pid 101) named", err)
	}
	if _, err := os.Stat(newRun); err != nil {
		t.Errorf("the new run's lock is gone: %v", err)
	}
}

// TestSecondCommandRefusedWhileFirstHoldsTheStack runs two commands at
// once: while the first holds the stack, the second is refused with the
// first named; once the first ends, the second goes on.
func TestSecondCommandRefusedWhileFirstHoldsTheStack(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("two recoveries", func(t *testing.T) {
		url, _ := testBackend(t)
		first, err := Hold(url, testProject, testStack, host)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Hold(url, testProject, testStack, host)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
			t.Fatalf("second recovery: %v, want a refusal naming the first (pid %d)", err, os.Getpid())
		}
		if err := first.Release(); err != nil {
			t.Fatal(err)
		}
		second, err := Hold(url, testProject, testStack, host)
		if err != nil {
			t.Fatalf("after the first ended: %v", err)
		}
		if len(second.Cleared) != 0 {
			t.Errorf("the first recovery's released lock was cleared as stale: %v", second.Cleared)
		}
		second.Release()
	})
	t.Run("many at the same instant", func(t *testing.T) {
		url, _ := testBackend(t)
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var held []*Held
		var refusals []error
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				h, err := Hold(url, testProject, testStack, host)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					refusals = append(refusals, err)
					return
				}
				held = append(held, h)
			}()
		}
		close(start)
		wg.Wait()
		if len(held) > 1 {
			t.Errorf("%d recoveries hold the stack at once", len(held))
		}
		for _, err := range refusals {
			if !strings.Contains(err.Error(), "is in use by") {
				t.Errorf("refused for another reason: %v", err)
			}
		}
		for _, h := range held {
			h.Release()
		}
	})
	t.Run("a pulumi run, then killed", func(t *testing.T) {
		url, dir := testBackend(t)
		run := startPulumiRun(t, filepath.Join(dir, "run.json"))
		_, err := Hold(url, testProject, testStack, host)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", run.Process.Pid)) {
			t.Fatalf("recovery while a run holds the stack: %v, want the run (pid %d) named", err, run.Process.Pid)
		}
		if got := lockFiles(t, dir); !slices.Equal(got, []string{"run.json"}) {
			t.Fatalf("the live run's lock was touched: %v", got)
		}
		// kill -9, as a cancelled CI job does: the lock outlives its run.
		if err := run.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		run.Wait()
		held, err := Hold(url, testProject, testStack, host)
		if err != nil {
			t.Fatalf("after the run was killed: %v", err)
		}
		defer held.Release()
		if len(held.Cleared) != 1 || held.Cleared[0].PID != run.Process.Pid {
			t.Errorf("cleared %v, want the killed run's lock", held.Cleared)
		}
	})
}

// startPulumiRun starts this test binary under a name starting "pulumi",
// as the engine's process is named, holding a lock at path.
func startPulumiRun(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "pulumi-test-run")
	if err := os.Symlink(self, bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("the stand-in run did not take its lock: %q, %v", line, err)
	}
	if comm, ok := running(cmd.Process.Pid); !ok || !strings.HasPrefix(comm, "pulumi") {
		t.Fatalf("the stand-in run is %q (running %v), want a pulumi process name", comm, ok)
	}
	return cmd
}
