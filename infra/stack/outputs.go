package stack

import (
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// export publishes the stack's outputs (the README's Outputs table), each
// taken from the component that owns it. `make verify` reads
// appNamespace, istioNamespace, istioReleases, chainHops, serviceUrl,
// sidecarInjection and ingressApi.
func export(ctx *pulumi.Context, mesh *components.IstioMesh, telemetry *components.Telemetry, web *components.WebServer, chain *components.SampleChain) {
	ctx.Export("ingressUrl", mesh.IngressURL)
	ctx.Export("ingressHost", mesh.IngressHost)
	ctx.Export("ingressPort", mesh.IngressPort)
	ctx.Export("serviceUrl", pulumi.Sprintf("%s/service", mesh.IngressURL))
	ctx.Export("appNamespace", mesh.AppNamespaceName)
	ctx.Export("istioNamespace", mesh.Namespace)
	ctx.Export("istioRevisions", mesh.Revisions)
	ctx.Export("istioReleases", mesh.Releases)
	ctx.Export("sidecarInjection", mesh.SidecarInjection)
	ctx.Export("ingressApi", mesh.IngressAPI)
	ctx.Export("istiodRevision", mesh.IstiodRevision)
	ctx.Export("webserverUrl", web.URL)
	ctx.Export("webserverNodePort", web.NodePort)
	ctx.Export("webserverImage", web.Image)
	ctx.Export("chainEntryUrl", chain.EntryURL)
	ctx.Export("chainImages", chain.ImageRefs)
	ctx.Export("chainHops", chain.HopNames)
	ctx.Export("jaegerPortForward", telemetry.JaegerPortForwardCommand)
	ctx.Export("jaegerPortForwardTarget", telemetry.JaegerPortForward)
	ctx.Export("jaegerUrl", pulumi.Sprintf("http://localhost:%d", components.JaegerUIPort))
	ctx.Export("prometheusPortForward", telemetry.PrometheusPortForwardCommand)
	if len(mesh.SkippedReleases) > 0 {
		ctx.Export("notRendered", pulumi.ToStringArray(mesh.SkippedReleases))
	}
	if telemetry.GrafanaDeployment != nil {
		ctx.Export("grafanaPortForward", telemetry.GrafanaPortForwardCommand)
		ctx.Export("grafanaAdminPassword", telemetry.GrafanaAdminPassword)
	}
}
