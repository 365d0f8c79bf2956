package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/play-kubernetes/play-kubernetes/infra/config"
	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership/lookup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ownershipTimeout bounds the lookups: a handful of GETs.
const ownershipTimeout = 30 * time.Second

// checkOwnership refuses the run when an object the stack would create
// under a fixed name exists in the cluster and is not this stack's
// (ownership.Check). Render mode contacts no cluster and changes none.
func checkOwnership(ctx *pulumi.Context, cfg *config.Stack, cluster ownership.Reader) error {
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
			return fmt.Errorf("checking what the cluster already holds: %w (nothing was changed)", err)
		}
		if cluster, err = lookup.New(rest); err != nil {
			return fmt.Errorf("checking what the cluster of kube context %q (%s) already holds: %w (nothing was changed)", target.Context, target.Server, err)
		}
	}
	c, cancel := context.WithTimeout(ctx.Context(), ownershipTimeout)
	defer cancel()
	return ownership.Check(c, cluster, ownership.Owner(ctx.Project(), ctx.Stack()), claims)
}
