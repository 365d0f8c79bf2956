package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/engine"
	"github.com/play-kubernetes/play-kubernetes/internal/recovery"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// playk8sBinary builds cmd/playk8s once per test binary.
var playk8sBinary = sync.OnceValues(func() (string, error) { return buildBinary("./cmd/playk8s", "playk8s") })

// buildBinary builds the package into a new directory as name.
func buildBinary(pkg, name string) (string, error) {
	root, err := utils.ProjectDir()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "playk8s-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", &buildError{pkg: pkg, err: err, out: string(out)}
	}
	return bin, nil
}

type buildError struct {
	pkg string
	err error
	out string
}

func (e *buildError) Error() string { return "go build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// checkKilledUpRecovers is the drill for a run killed mid-way: `playk8s up`
// of the sandbox stack (in a scratch copy, with its own backend) is killed
// with SIGKILL, process tree and all, the moment Helm marks a release
// pending-install. That leaves what a cancelled CI job leaves: the stack's
// lock and a release Helm refuses to reinstall. The next `playk8s up`
// recovers both by itself and completes; a preview after it is clean.
func checkKilledUpRecovers(t *testing.T, kubeconfig string) {
	ctx := context.Background()
	cli := newCLIStack(t, kubeconfig, "e2e-killed-up")
	scratch, playk8s := cli.scratch, cli.playk8s

	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	watchCtx, stopWatch := context.WithTimeout(ctx, 5*time.Minute)
	defer stopWatch()
	w, err := kube.CoreV1().Secrets("").Watch(watchCtx, metav1.ListOptions{LabelSelector: "owner=helm,status=pending-install"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	var out bytes.Buffer
	first := playk8s(ctx, "up")
	first.Stdout, first.Stderr = &out, &out
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	var pending string
	select {
	case ev := <-w.ResultChan():
		utils.KillTree(first.Process.Pid)
		if m, err := meta.Accessor(ev.Object); err == nil {
			pending = m.GetNamespace() + "/" + m.GetLabels()["name"]
		}
	case <-watchCtx.Done():
		t.Fatal("no Helm release went pending-install within 5 minutes")
	}
	_ = first.Wait()
	t.Logf("killed playk8s up while release %s was pending-install", pending)

	// The damage is real: a lock with no process, and Helm's release pending.
	locks, err := recovery.FindLocks(scratch.BackendURL(), engine.ProjectName, "sandbox")
	if err != nil || len(locks) == 0 {
		t.Fatalf("no stale lock after the kill (%v): the drill did not interrupt a run", err)
	}
	ns, name, _ := strings.Cut(pending, "/")
	if secrets, err := kube.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + name + ",status=pending-install"}); err != nil || len(secrets.Items) == 0 {
		t.Fatalf("release %s is no longer pending-install (%v): the drill did not leave it stuck", pending, err)
	}

	upCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	second, err := playk8s(upCtx, "up").CombinedOutput()
	if err != nil {
		t.Fatalf("the next playk8s up did not recover: %v\n%s\n(first run:\n%s)", err, second, out.String())
	}
	for _, want := range []string{"recovered: removed the lock of a killed run", "recovered: Helm release " + pending + ", interrupted while creating"} {
		if !strings.Contains(string(second), want) {
			t.Errorf("the next up does not say %q:\n%s", want, second)
		}
	}
	if ops, err := utils.PlannedChanges(ctx, scratch.Stack); err != nil || len(ops) != 0 {
		t.Errorf("after the recovered up a preview plans %v (%v)", ops, err)
	}
	if destroyed, err := playk8s(upCtx, "destroy").CombinedOutput(); err != nil {
		t.Fatalf("playk8s destroy: %v\n%s", err, destroyed)
	}
}
