// Package preflight checks, before the engine touches anything, that the
// cluster a stack targets can be reached, so an unreachable cluster is one
// clear error instead of a half-applied update.
package preflight

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
)

// Reachable dials the API server's TCP port within timeout.
func Reachable(ctx context.Context, t clustertarget.Target, timeout time.Duration) error {
	u, err := url.Parse(t.Server)
	if err != nil || u.Host == "" {
		return fmt.Errorf("kube context %q: server %q is not a URL", t.Context, t.Server)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("the cluster of kube context %q (%s) is unreachable: %w; start it (e.g. `make minikube`) or point kubernetes:context at a running cluster — nothing was changed", t.Context, t.Server, err)
	}
	return conn.Close()
}
