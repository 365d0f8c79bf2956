package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/process"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// stopGrace is how long a daemon gets after SIGTERM (a stopping API
// server drains for up to 15 s).
const stopGrace = 20 * time.Second

// Down stops everything the record names and removes what up made,
// whether or not its processes are still there; without a record, what
// the settings' names derive. It acts only on entries the sandbox itself
// can make (record.Check) and names each one it refuses.
func (sb *Sandbox) Down(ctx context.Context) error {
	rec := sb.rec
	if !sb.recorded {
		rec = sb.derivedRecord()
	}
	ok, refused := rec.Check(sb.allowed())
	for _, r := range refused {
		sb.Log.Error(r.Error())
		if r.Field == "netns" || r.Field == "mode" {
			return fmt.Errorf("the sandbox record %s names no sandbox this program makes; nothing was done", sb.Layout.Rel(sb.State.Record()))
		}
	}
	comps := sb.Components()
	for _, stage := range stopStages(comps) {
		var pids []int
		for _, c := range comps {
			p, found := ok.Process(c.Name)
			if c.Daemon() && c.Stop == stage && found && process.Alive(p.PID, p.Binary) {
				sb.Log.Info(fmt.Sprintf("stopping %s (%d)", c.Name, p.PID))
				pids = append(pids, p.PID)
			}
		}
		process.Stop(pids, stopGrace)
		if stage == 0 && sb.Real() {
			sb.killPods(ok)
		}
	}
	if sb.Real() {
		sb.cleanupNode(ok)
	}
	for _, d := range ok.DataDirs {
		if err := os.RemoveAll(d); err != nil {
			sb.Log.Warn("could not remove "+d, "error", err)
		}
	}
	if err := os.Remove(sb.State.Record()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(refused) > 0 {
		return errRefused
	}
	sb.Log.Info("down; the cluster's data is deleted (a stack deployed to it has stale state: refresh or remove it)")
	return nil
}

// allowed is what this sandbox can make: its state directory and its
// components' binaries.
func (sb *Sandbox) allowed() record.Allowed {
	a := record.Allowed{State: sb.State, Tools: sb.Layout.ToolsDir()}
	if real, err := filepath.EvalSymlinks(a.Tools); err == nil {
		a.Tools = real // as the components' binaries are named
	}
	for _, c := range sb.Components() {
		if c.Daemon() {
			a.Binaries = append(a.Binaries, c.Binary)
		}
	}
	return a
}

// derivedRecord is what an up of these settings records before it makes
// anything: what `down` removes when no record is left (an up killed
// before its first write, or a record removed by hand).
func (sb *Sandbox) derivedRecord() record.Record {
	r := record.Record{Mode: sb.Settings.Mode, MountRoots: []string{sb.State.Dir}}
	for _, d := range layout.DataDirs {
		r.DataDirs = append(r.DataDirs, sb.State.Data(d))
	}
	if sb.Real() {
		r.Netns, r.NetnsPath, r.RuntimeDir = sb.Netns.Name, sb.Netns.Path(), sb.Netns.RuntimeDir()
		r.MountRoots = append(r.MountRoots, sb.Netns.RuntimeDir())
		ctrls, _ := os.ReadDir(layout.CgroupFS)
		for _, c := range ctrls {
			dir := layout.CgroupFS + "/" + c.Name() + "/" + sb.Netns.CgroupRoot()
			if _, err := os.Stat(dir); err == nil {
				r.Cgroups = append(r.Cgroups, dir)
			}
		}
	}
	return r
}
