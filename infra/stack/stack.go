// Package stack is play-kubernetes' Pulumi program: it reads the stack's
// configuration, checks that nothing it would create under a fixed name
// belongs to someone else, composes the five components and exports the
// outputs (their names: internal/stackoutput). Each component takes its
// spec (user input; the tracing spec goes to each component that renders
// it, once) and the mesh's attachment (wiring), nothing else.
package stack

import (
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/infra/config"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the whole stack as `pulumi up` runs it, checking the cluster
// the stack's kubernetes provider is configured for.
func Program(ctx *pulumi.Context) error { return ProgramOn(nil)(ctx) }

// ProgramOn is the whole stack, checking cluster (nil: the provider's
// cluster; runs under mocks pass a KnownCluster). Configuration is
// validated first, then the cluster's Kubernetes version, then what the
// stack would create under fixed names is looked up in it: with any bad
// value, an unsupported Kubernetes or any object that is not the stack's,
// it returns the error before a single resource is registered.
func ProgramOn(cluster Cluster) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		if err := checkCluster(ctx, cfg, cluster); err != nil {
			return err
		}
		return compose(ctx, cfg)
	}
}

// compose registers the five components and exports the outputs.
func compose(ctx *pulumi.Context, cfg *config.Stack) error {
	// The tracing spec goes to each component that renders it: istiod's
	// values, the Telemetry resource (within cfg.Telemetry), the hops' exporter.
	tracing := cfg.Telemetry.TracingSpec
	mesh, err := components.NewIstioMesh(ctx, "istio", &components.IstioMeshArgs{
		Spec: cfg.Istio, Tracing: tracing, SkipReleases: cfg.RenderDir != "",
		// The mesh labels the app namespace and sets what pods wait for by it.
		ProxylessGRPC: cfg.Chain.Transport == components.ChainTransportGRPC})
	if err != nil {
		return err
	}
	telemetry, err := components.NewTelemetry(ctx, "telemetry", &components.TelemetryArgs{Spec: cfg.Telemetry, Mesh: mesh.Attachment})
	if err != nil {
		return err
	}
	web, err := components.NewWebServer(ctx, "webserver", &components.WebServerArgs{Spec: cfg.WebServer, Mesh: mesh.Attachment})
	if err != nil {
		return err
	}
	chain, err := components.NewSampleChain(ctx, "chain", &components.SampleChainArgs{Spec: cfg.Chain, Tracing: tracing, Mesh: mesh.Attachment})
	if err != nil {
		return err
	}
	export(ctx, mesh, telemetry, web, chain)
	return nil
}
