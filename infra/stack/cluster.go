package stack

import (
	"context"
	"errors"
	"fmt"
	"time"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/infra/config"
	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership/lookup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cluster is what the program reads of the target cluster before it
// registers anything: the objects it would create (ownership.Reader) and
// the Kubernetes version it runs.
type Cluster interface {
	ownership.Reader
	// ServerVersion is the API server's version ("v1.34.4").
	ServerVersion(ctx context.Context) (string, error)
}

// KnownCluster is a Cluster of given facts, for runs under mocks.
type KnownCluster struct {
	Objects ownership.Fake
	Version string
}

// Annotations implements ownership.Reader.
func (k KnownCluster) Annotations(ctx context.Context, o ownership.Object) (map[string]string, bool, error) {
	return k.Objects.Annotations(ctx, o)
}

// ServerVersion implements Cluster.
func (k KnownCluster) ServerVersion(context.Context) (string, error) {
	if k.Version == "" {
		return "", errors.New("no version given")
	}
	return k.Version, nil
}

// checkTimeout bounds the lookups: a handful of GETs.
const checkTimeout = 30 * time.Second

// checkCluster refuses the run, before anything changes, when the
// cluster's Kubernetes is outside what the pinned Istio supports, or when
// an object the stack would create under a fixed name exists and is not
// this stack's (ownership.Check). Render mode contacts no cluster and
// changes none.
func checkCluster(ctx *pulumi.Context, cfg *config.Stack, cluster Cluster) error {
	if cfg.RenderDir != "" {
		return nil
	}
	claims, err := cfg.Istio.Claims()
	if err != nil {
		return err
	}
	if cluster == nil {
		target, rest, err := clustertarget.RESTConfig(cfg.Cluster)
		if err != nil {
			return fmt.Errorf("checking the cluster before any change: %w (nothing was changed)", err)
		}
		if cluster, err = lookup.New(rest); err != nil {
			return fmt.Errorf("checking the cluster of kube context %q (%s): %w (nothing was changed)", target.Context, target.Server, err)
		}
	}
	c, cancel := context.WithTimeout(ctx.Context(), checkTimeout)
	defer cancel()
	if err := checkVersion(c, cfg, cluster); err != nil {
		return err
	}
	return ownership.Check(c, cluster, ownership.Owner(ctx.Project(), ctx.Stack()), claims)
}

// checkVersion is the supported-versions guard. Its range is the pinned
// Istio's (versions.env): a stack on another Istio release (istio:version)
// is not judged by it.
func checkVersion(ctx context.Context, cfg *config.Stack, cluster Cluster) error {
	istio := cfg.Istio.Version
	if cfg.Istio.AllowUnsupportedKubernetes || !kubeversion.SameMinor(istio, playk8s.Version("ISTIO_VERSION")) {
		return nil
	}
	server, err := cluster.ServerVersion(ctx)
	if err != nil {
		return fmt.Errorf("reading the cluster's Kubernetes version: %w (nothing was changed)", err)
	}
	if err := kubeversion.Pinned().Check(server, istio); err != nil {
		return fmt.Errorf("%w: upgrade the cluster, or set istio:allowUnsupportedKubernetes to true to go on anyway (nothing was changed)", err)
	}
	return nil
}
