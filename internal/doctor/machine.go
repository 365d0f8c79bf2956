package doctor

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
	"k8s.io/client-go/kubernetes"
)

// Machine is everything the checks look at.
type Machine interface {
	// Exists reports whether a file exists.
	Exists(path string) bool
	// LookPath reports whether a command is on PATH.
	LookPath(name string) bool
	// Getenv is the environment the next `make up` runs with.
	Getenv(key string) string
	// Dial opens and closes a connection ("tcp" or "unix").
	Dial(ctx context.Context, network, address string) error
	// Cluster resolves the cluster a stack's values select, as the
	// kubernetes provider would (clustertarget.Resolve).
	Cluster(values map[string]string) (clustertarget.Target, error)
	// Ready asks that cluster's API server whether it is ready (/readyz),
	// which also proves the credentials are accepted.
	Ready(ctx context.Context, values map[string]string) error
	// ServerVersion is that cluster's Kubernetes version ("v1.34.4").
	ServerVersion(ctx context.Context, values map[string]string) (string, error)
}

// Host is the real machine.
type Host struct {
	// Timeout bounds each network check; default 5s.
	Timeout time.Duration
}

var _ Machine = Host{}

func (h Host) timeout() time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return 5 * time.Second
}

// Exists implements Machine.
func (Host) Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// LookPath implements Machine.
func (Host) LookPath(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

// Getenv implements Machine.
func (Host) Getenv(key string) string { return os.Getenv(key) }

// Dial implements Machine.
func (h Host) Dial(ctx context.Context, network, address string) error {
	d := net.Dialer{Timeout: h.timeout()}
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return err
	}
	return conn.Close()
}

// Cluster implements Machine.
func (Host) Cluster(values map[string]string) (clustertarget.Target, error) {
	return clustertarget.Resolve(values)
}

// Ready implements Machine.
func (h Host) Ready(ctx context.Context, values map[string]string) error {
	_, cfg, err := clustertarget.RESTConfig(values)
	if err != nil {
		return err
	}
	cfg.Timeout = h.timeout()
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	body, err := kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return err
	}
	if string(body) != "ok" {
		return errors.New("/readyz answered " + string(body))
	}
	return nil
}

// ServerVersion implements Machine.
func (h Host) ServerVersion(ctx context.Context, values map[string]string) (string, error) {
	_, cfg, err := clustertarget.RESTConfig(values)
	if err != nil {
		return "", err
	}
	cfg.Timeout = h.timeout()
	return kubeversion.Server(ctx, cfg)
}
