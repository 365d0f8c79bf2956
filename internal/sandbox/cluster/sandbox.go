package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Sandbox is one checkout's sandbox.
type Sandbox struct {
	Layout   layout.Layout
	State    layout.SandboxState
	Settings Settings
	Netns    layout.Netns
	// Self is this program: the forwarder runs it (`sandbox forward`).
	Self string
	Log  *slog.Logger
	// Out receives status output.
	Out io.Writer

	mu  sync.Mutex
	rec record.Record
	// recorded is whether a record was found.
	recorded   bool
	clientset  *kubernetes.Clientset
	restConfig *rest.Config
}

// New reads the sandbox's record; the recorded mode and namespace win
// over the settings.
func New(l layout.Layout, s Settings, log *slog.Logger, out io.Writer) (*Sandbox, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	sb := &Sandbox{Layout: l, State: l.SandboxState(), Settings: s, Self: self, Log: log, Out: out}
	rec, found, err := record.Load(sb.State.Record())
	if err != nil {
		return nil, err
	}
	sb.rec, sb.recorded = rec, found
	if found {
		if rec.Mode != "" {
			sb.Settings.Mode = rec.Mode
		}
		if rec.Netns != "" {
			sb.Settings.Netns = rec.Netns
		}
	}
	sb.Netns = layout.Netns{Name: sb.Settings.Netns}
	return sb, nil
}

// Real is whether the sandbox runs real pods.
func (sb *Sandbox) Real() bool { return sb.Settings.Mode == record.Real }

// save writes the record as it stands (mu held by the caller or no
// concurrency).
func (sb *Sandbox) save() error { return sb.rec.Save(sb.State.Record()) }

// update changes the record and saves it.
func (sb *Sandbox) update(change func(r *record.Record)) error {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	change(&sb.rec)
	return sb.save()
}

// Key is what a running sandbox was started from: the mode, this
// program (by size and time: it embeds versions.env and every component's
// arguments and configuration), and every SANDBOX_* setting. A
// complete up records it; a different key means the next up takes the
// full path.
func (sb *Sandbox) Key() (string, error) {
	info, err := os.Stat(sb.Self)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "mode %s\nprogram %s %d %d\n", sb.Settings.Mode, sb.Self, info.Size(), info.ModTime().UnixNano())
	fmt.Fprintf(h, "env %s\n", strings.Join(sb.Settings.Env, "\n"))
	return hex.EncodeToString(h.Sum(nil)), nil
}
