package stack

import (
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// export publishes the stack's outputs (named in internal/stackoutput, the
// README's Outputs table), each taken from the component that owns it.
// `make verify` reads appNamespace, istioNamespace, istioReleases,
// chainHops, chainEntryUrl, chainTransport, chainGrpcPort, serviceUrl,
// sidecarInjection, ingressApi, istiodRevision and chainVersions.
func export(ctx *pulumi.Context, mesh *components.IstioMesh, telemetry *components.Telemetry, web *components.WebServer, chain *components.SampleChain) {
	ctx.Export(stackoutput.IngressURL, mesh.IngressURL)
	ctx.Export(stackoutput.IngressHost, mesh.IngressHost)
	ctx.Export(stackoutput.IngressPort, mesh.IngressPort)
	ctx.Export(stackoutput.ServiceURL, pulumi.Sprintf("%s/service", mesh.IngressURL))
	ctx.Export(stackoutput.AppNamespace, mesh.AppNamespaceName)
	ctx.Export(stackoutput.IstioNamespace, mesh.Namespace)
	ctx.Export(stackoutput.IstioRevisions, mesh.Revisions)
	ctx.Export(stackoutput.IstioReleases, mesh.Releases)
	ctx.Export(stackoutput.SidecarInjection, mesh.SidecarInjection)
	ctx.Export(stackoutput.IngressAPI, mesh.IngressAPI)
	ctx.Export(stackoutput.IstiodRevision, mesh.IstiodRevision)
	ctx.Export(stackoutput.WebServerURL, web.URL)
	ctx.Export(stackoutput.WebServerNodePort, web.NodePort)
	ctx.Export(stackoutput.WebServerImage, web.Image)
	ctx.Export(stackoutput.ChainEntryURL, chain.EntryURL)
	ctx.Export(stackoutput.ChainImages, chain.ImageRefs)
	ctx.Export(stackoutput.ChainHops, chain.HopNames)
	ctx.Export(stackoutput.ChainTransport, chain.Transport)
	ctx.Export(stackoutput.ChainGRPCPort, chain.GRPCPort)
	ctx.Export(stackoutput.JaegerPortForward, telemetry.JaegerPortForwardCommand)
	ctx.Export(stackoutput.JaegerPortForwardTarget, telemetry.JaegerPortForward)
	ctx.Export(stackoutput.JaegerURL, pulumi.Sprintf("http://localhost:%d", components.JaegerUIPort))
	ctx.Export(stackoutput.PrometheusPortForward, telemetry.PrometheusPortForwardCommand)
	if len(mesh.SkippedReleases) > 0 {
		ctx.Export(stackoutput.NotRendered, pulumi.ToStringArray(mesh.SkippedReleases))
	}
	if chain.HasVersions {
		ctx.Export(stackoutput.ChainVersions, chain.Versions)
	}
	if telemetry.GrafanaDeployment != nil {
		ctx.Export(stackoutput.GrafanaPortForward, telemetry.GrafanaPortForwardCommand)
		ctx.Export(stackoutput.GrafanaAdminPassword, telemetry.GrafanaAdminPassword)
	}
	if telemetry.KialiDeployment != nil {
		ctx.Export(stackoutput.KialiPortForward, telemetry.KialiPortForwardCommand)
	}
}
