package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/hoststate"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// Up starts what is not running and waits for the API, the nodes and
// DNS. On a sandbox a complete up left running from the same key, with
// every process ours and running and the API ready, it only imports
// rebuilt images: every make up and preview runs it.
func (sb *Sandbox) Up(ctx context.Context) error {
	start := time.Now()
	if err := sb.checkTools(); err != nil {
		return err
	}
	if sb.Real() {
		if err := sb.checkNodeHost(); err != nil {
			return err
		}
	}
	if err := sb.linkCharts(ctx); err != nil {
		return err
	}
	key, err := sb.Key()
	if err != nil {
		return err
	}
	if sb.alreadyUp(ctx, key) {
		if sb.Real() {
			if err := sb.importImages(ctx); err != nil {
				return err
			}
		}
		sb.Log.Info(fmt.Sprintf("already up (%s), every process running and the API ready: nothing to start (sandbox status for details)", sb.Settings.Mode))
		return nil
	}
	if err := sb.beginUp(); err != nil {
		return err
	}
	dir, err := sb.makePKI()
	if err != nil {
		return err
	}
	if err := sb.writeConfigs(dir); err != nil {
		return err
	}
	if sb.Real() {
		if err := sb.nodeUp(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(sb.State.Data("etcd"), 0o700); err != nil {
		return err
	}
	if err := sb.run(ctx, sb.Components()); err != nil {
		return err
	}
	if err := sb.update(func(r *record.Record) { r.Key = key }); err != nil {
		return err
	}
	sb.Log.Info(fmt.Sprintf("up (%s) in %ds: kubectl --kubeconfig %s get nodes", sb.Settings.Mode, int(time.Since(start).Seconds()), sb.Layout.Rel(sb.State.Kubeconfig())))
	return nil
}

// alreadyUp: a complete up from the same key, every daemon of the list
// ours and running, and one /readyz answered. The full path would not
// recheck the network seal either (test/e2e asserts it).
func (sb *Sandbox) alreadyUp(ctx context.Context, key string) bool {
	if sb.rec.Key != key {
		return false
	}
	for _, c := range sb.Components() {
		if !c.Daemon() {
			continue
		}
		p, ok := sb.rec.Process(c.Name)
		if !ok || p.Binary != c.Binary || !process.Alive(p.PID, p.Binary) {
			return false
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return sb.apiReady(ctx) == nil
}

// beginUp records, before anything is made, the mode, the namespace and
// everything derived from it, and that this up has not completed; on a
// fresh start it first checks for what a killed sandbox left in the way
// and takes the host's snapshot.
func (sb *Sandbox) beginUp() error {
	fresh := true
	if p, ok := sb.rec.Process("forward"); ok && process.Alive(p.PID, p.Binary) {
		fresh = false
	}
	if !sb.Real() {
		fresh = false
	}
	if fresh {
		if err := sb.checkLeftovers(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(sb.State.Dir, 0o755); err != nil {
		return err
	}
	if fresh {
		if err := os.WriteFile(sb.State.HostBefore(), []byte(hoststate.Snapshot(sb.Netns.Name)), 0o644); err != nil {
			return err
		}
	}
	return sb.update(func(r *record.Record) {
		r.Key = ""
		r.Mode = sb.Settings.Mode
		r.DataDirs = nil
		for _, d := range layout.DataDirs {
			r.DataDirs = append(r.DataDirs, sb.State.Data(d))
		}
		r.MountRoots = []string{sb.State.Dir}
		if sb.Real() {
			r.Netns, r.NetnsPath, r.RuntimeDir = sb.Netns.Name, sb.Netns.Path(), sb.Netns.RuntimeDir()
			r.MountRoots = append(r.MountRoots, sb.Netns.RuntimeDir())
		}
	})
}

// checkLeftovers names what a killed sandbox or another program left in
// the way, each with how to fix it.
func (sb *Sandbox) checkLeftovers() error {
	const fix = "run make sandbox-down (sandbox down) first"
	if _, err := os.Stat(sb.Netns.Path()); err == nil {
		if p, ok := sb.rec.Process("kube-apiserver"); !ok || !process.Alive(p.PID, p.Binary) {
			return fmt.Errorf("a sandbox that was killed left its network namespace %s behind: %s", sb.Netns.Name, fix)
		}
	}
	mounts, err := mountsUnder([]string{sb.Netns.RuntimeDir(), sb.State.Dir})
	if err != nil {
		return err
	}
	if len(mounts) > 0 {
		return fmt.Errorf("a sandbox that was killed left mounts under %s or %s: %s", sb.Netns.RuntimeDir(), sb.Layout.Rel(sb.State.Dir), fix)
	}
	if _, err := os.Stat(filepath.Join(layout.CgroupFS, "memory", sb.Netns.CgroupRoot())); err == nil {
		return fmt.Errorf("a sandbox that was killed left its cgroups (%s/*/%s): %s", layout.CgroupFS, sb.Netns.CgroupRoot(), fix)
	}
	if err := listening("tcp", fmt.Sprintf("%s:%d", host, sb.Settings.APIServerPort))(context.Background()); err == nil {
		return fmt.Errorf("127.0.0.1:%d (the API server's forward) is taken by another process; stop it or set SANDBOX_APISERVER_PORT", sb.Settings.APIServerPort)
	}
	return nil
}

// nodeUp prepares the real node: the namespace, the runtime and data
// directories, the cgroups, and the host's state the kubelet will change.
func (sb *Sandbox) nodeUp() error {
	if err := sb.netnsUp(); err != nil {
		return err
	}
	if err := sb.cniBinaries(); err != nil {
		return err
	}
	if err := sb.recordHostState(); err != nil {
		return err
	}
	if err := sb.makeCgroups(); err != nil {
		return err
	}
	for _, d := range []string{"containerd", "kubelet", "pod-logs"} {
		if err := os.MkdirAll(sb.State.Data(d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// linkCharts keeps .state/istio-charts pointing at the Istio charts of
// the pinned istio.io/istio module (Pulumi.sandbox.yaml's istio:chartDir),
// following ISTIO_MODULE_VERSION; the module comes from the Go module
// cache or proxy, no chart repository is contacted. A link that already
// points at the pinned module's charts is left as it is.
func (sb *Sandbox) linkCharts(ctx context.Context) error {
	link := sb.Layout.IstioCharts()
	if target, err := os.Readlink(link); err == nil && strings.HasSuffix(target, layout.IstioChartsSuffix()) {
		if _, err := os.Stat(target); err == nil {
			return nil
		}
	}
	dir, err := layout.IstioModuleCharts(ctx)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no Istio charts in the pinned istio.io/istio module: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	tmp := link + ".new"
	_ = os.Remove(tmp)
	if err := os.Symlink(dir, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// errRefused is down's error when it refused recorded entries.
var errRefused = errors.New("down refused the entries above; everything else the sandbox made is removed")
