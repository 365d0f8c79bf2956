// Package stack is play-kubernetes' Pulumi program: it reads the stack's
// configuration, composes the five components and exports the outputs. It
// holds no logic of its own beyond wiring.
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
	tracing := cfg.Telemetry.TracingArgs(cfg.Istio.Namespace)

	meshArgs := cfg.Istio.Args(tracing)
	meshArgs.SkipReleases = cfg.RenderDir != ""
	mesh, err := components.NewIstioMesh(ctx, "istio", meshArgs)
	if err != nil {
		return err
	}
	telemetryArgs := cfg.Telemetry.Args(mesh.Namespace, tracing)
	telemetryArgs.IstioDependsOn = []pulumi.Resource{mesh.CRDs}
	telemetry, err := components.NewTelemetry(ctx, "telemetry", telemetryArgs)
	if err != nil {
		return err
	}
	policy := cfg.Istio.WorkloadPolicy()
	webArgs := cfg.WebServer.Args(mesh.AppNamespaceName)
	webArgs.Mesh = &policy
	webArgs.IstioDependsOn = []pulumi.Resource{mesh.CRDs}
	webArgs.PodsDependOn = mesh.Injection
	web, err := components.NewWebServer(ctx, "webserver", webArgs)
	if err != nil {
		return err
	}
	chainArgs := cfg.Chain.Args()
	chainArgs.Namespace = mesh.AppNamespaceName
	chainArgs.GatewaySelector = mesh.GatewaySelector
	chainArgs.GatewayNamespace = mesh.GatewayNamespace
	chainArgs.GatewayPrincipal = mesh.GatewayPrincipal
	chainArgs.Policy = policy
	chainArgs.PodsDependOn = mesh.Injection
	chainArgs.IstioDependsOn = []pulumi.Resource{mesh.CRDs}
	if cfg.Telemetry.Tracing {
		chainArgs.OTLPEndpoint = components.OTLPHTTPEndpoint(cfg.Istio.Namespace)
	}
	chain, err := components.NewSampleChain(ctx, "chain", chainArgs)
	if err != nil {
		return err
	}

	ctx.Export("ingressUrl", mesh.IngressURL)
	ctx.Export("ingressHost", mesh.IngressHost)
	ctx.Export("ingressPort", mesh.IngressPort)
	ctx.Export("serviceUrl", pulumi.Sprintf("%s/service", mesh.IngressURL))
	ctx.Export("appNamespace", mesh.AppNamespaceName)
	ctx.Export("istioNamespace", mesh.Namespace)
	ctx.Export("istioRevisions", mesh.Revisions)
	ctx.Export("istioReleases", mesh.Releases)
	ctx.Export("webserverUrl", web.URL)
	ctx.Export("webserverNodePort", web.NodePort)
	ctx.Export("webserverImage", web.Image)
	ctx.Export("chainEntryUrl", chain.EntryURL)
	ctx.Export("chainImages", chain.ImageRefs)
	ctx.Export("chainHops", pulumi.ToStringArray(chainArgs.Hops))
	ctx.Export("jaegerPortForward", telemetry.JaegerPortForwardCommand)
	ctx.Export("jaegerPortForwardTarget", telemetry.JaegerPortForward)
	ctx.Export("jaegerUrl", pulumi.String("http://localhost:16686"))
	ctx.Export("prometheusPortForward", telemetry.PrometheusPortForwardCommand)
	if len(mesh.SkippedReleases) > 0 {
		ctx.Export("notRendered", pulumi.ToStringArray(mesh.SkippedReleases))
	}
	if cfg.Telemetry.Grafana {
		ctx.Export("grafanaPortForward", telemetry.GrafanaPortForwardCommand)
		ctx.Export("grafanaAdminPassword", telemetry.GrafanaAdminPassword)
	}
	return nil
}
