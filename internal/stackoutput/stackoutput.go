// Package stackoutput names the stack's outputs: the one contract between
// the program that exports them (infra/stack) and what reads them back
// (internal/verify, internal/engine's render, test/e2e), and what the
// README's Outputs table lists. It imports nothing, so a reader gets no
// Pulumi SDK from it.
package stackoutput

// The outputs every stack exports; the value each holds is in its comment.
const (
	// IngressURL is where the ingress gateway answers HTTP: http://<IngressHost>:<IngressPort>.
	IngressURL = "ingressUrl"
	// IngressHost and IngressPort are IngressURL's host (string) and port (number).
	IngressHost = "ingressHost"
	IngressPort = "ingressPort"
	// ServiceURL is the chain's entry through the ingress: <IngressURL>/service.
	ServiceURL = "serviceUrl"
	// AppNamespace and IstioNamespace are the app's and the control plane's namespaces.
	AppNamespace   = "appNamespace"
	IstioNamespace = "istioNamespace"
	// IstioRevisions maps each Istio chart (istiod revisions: their release
	// name) to its release's Helm revision.
	IstioRevisions = "istioRevisions"
	// IstioReleases maps each Istio release's name to its namespace.
	IstioReleases = "istioReleases"
	// SidecarInjection says whether the app namespace is labeled for injection (bool).
	SidecarInjection = "sidecarInjection"
	// IngressAPI is the ingress's API: istio or gateway-api.
	IngressAPI = "ingressApi"
	// IstiodRevision is the istiod revision the app namespace runs on ("" without revisions).
	IstiodRevision = "istiodRevision"
	// WebServerURL, WebServerNodePort and WebServerImage are the web
	// server's in-cluster URL, node port (number) and running image.
	WebServerURL      = "webserverUrl"
	WebServerNodePort = "webserverNodePort"
	WebServerImage    = "webserverImage"
	// ChainEntryURL is the first hop's in-cluster URL; ChainImages the
	// image of each hop and ChainHops their names, in call order (arrays).
	ChainEntryURL = "chainEntryUrl"
	ChainImages   = "chainImages"
	ChainHops     = "chainHops"
	// ChainTransport is how the hops call each other (http or grpc) and
	// ChainGRPCPort their gRPC port (number; 0 with http).
	ChainTransport = "chainTransport"
	ChainGRPCPort  = "chainGrpcPort"
	// JaegerPortForward is the kubectl command that forwards Jaeger's UI to
	// JaegerURL; JaegerPortForwardTarget its target (svc/tracing 16686:80).
	JaegerPortForward       = "jaegerPortForward"
	JaegerPortForwardTarget = "jaegerPortForwardTarget"
	JaegerURL               = "jaegerUrl"
	// PrometheusPortForward is the kubectl command that forwards Prometheus.
	PrometheusPortForward = "prometheusPortForward"
)

// The outputs only some stacks export.
const (
	// NotRendered names the Helm releases render mode leaves out (array).
	NotRendered = "notRendered"
	// GrafanaPortForward and GrafanaAdminPassword (a secret) come with telemetry:grafana only.
	GrafanaPortForward   = "grafanaPortForward"
	GrafanaAdminPassword = "grafanaAdminPassword"
	// KialiPortForward is the kubectl command that forwards Kiali (with
	// telemetry:kiali only); its console is then at http://localhost:20001/kiali.
	KialiPortForward = "kialiPortForward"
	// ChainVersions comes with hops run in versions (chain:traffic): hop ->
	// {weights: {version: percent}, headerRoutes: n}.
	ChainVersions = "chainVersions"
)

// Always lists the outputs every stack exports.
func Always() []string {
	return []string{
		IngressURL, IngressHost, IngressPort, ServiceURL, AppNamespace, IstioNamespace,
		IstioRevisions, IstioReleases, SidecarInjection, IngressAPI, IstiodRevision,
		WebServerURL, WebServerNodePort, WebServerImage, ChainEntryURL, ChainImages, ChainHops, ChainTransport, ChainGRPCPort,
		JaegerPortForward, JaegerPortForwardTarget, JaegerURL, PrometheusPortForward,
	}
}

// All lists every output a stack may export.
func All() []string {
	return append(Always(), NotRendered, GrafanaPortForward, GrafanaAdminPassword, KialiPortForward, ChainVersions)
}
