// Package stack is play-kubernetes' Pulumi program: it reads the stack's
// configuration, composes the five components and exports the outputs. It
// holds no logic of its own: each component takes its spec (user input)
// and the mesh's attachment (wiring), nothing else.
package stack

import (
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/infra/config"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the whole stack. Configuration is validated first: with any
// bad value it returns the error before a single resource is registered.
func Program(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	mesh, err := components.NewIstioMesh(ctx, "istio", &components.IstioMeshArgs{
		Spec: cfg.Istio, Tracing: cfg.Telemetry.TracingSpec, SkipReleases: cfg.RenderDir != ""})
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
	chain, err := components.NewSampleChain(ctx, "chain", &components.SampleChainArgs{Spec: cfg.Chain, Mesh: mesh.Attachment})
	if err != nil {
		return err
	}
	export(ctx, mesh, telemetry, web, chain)
	return nil
}
