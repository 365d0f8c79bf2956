package components

// IngressAPI is the API the ingress is configured with (`istio:ingress.api`).
type IngressAPI string

const (
	// IngressAPIIstio is the tutorial's: the gateway chart's pods, Istio's
	// own Gateway and a VirtualService. Istio's docs: "use for existing
	// deployments, or where advanced features are needed".
	IngressAPIIstio IngressAPI = "istio"
	// IngressAPIGateway is the Kubernetes Gateway API: a Gateway of class
	// istio, whose Deployment and Service istiod provisions, and an
	// HTTPRoute. Istio's docs: "use for new deployments".
	IngressAPIGateway IngressAPI = "gateway-api"
)

// IngressAPIs lists the accepted ingress APIs.
func IngressAPIs() []IngressAPI { return []IngressAPI{IngressAPIIstio, IngressAPIGateway} }

// KubernetesGatewayName is the Gateway API Gateway of the gateway-api
// ingress. istiod names what it provisions for it <name>-istio (the
// Deployment, the Service and the ServiceAccount, hence the mTLS identity)
// and labels its pods gateway.networking.k8s.io/gateway-name: <name>.
const KubernetesGatewayName = "ingress"

// KubernetesGatewayClass is the GatewayClass istiod installs and serves.
const KubernetesGatewayClass = "istio"

// GatewayNameLabel is the label istiod puts on a provisioned gateway's pods.
const GatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// ProvisionedGatewayName is the name of what istiod provisions for a
// Gateway of the istio class: its Deployment, Service and ServiceAccount.
func ProvisionedGatewayName(gateway string) string { return gateway + "-" + KubernetesGatewayClass }

// IngressGatewayService is the ingress gateway's Service for an ingress
// API: ours in front of the gateway chart's pods, or istiod's.
func IngressGatewayService(api IngressAPI) string {
	if api == IngressAPIGateway {
		return ProvisionedGatewayName(KubernetesGatewayName)
	}
	return GatewayReleaseName
}

// IngressGatewaySelector is the label selector of the ingress gateway's
// pods for an ingress API, as `kubectl get pods -l` takes it.
func IngressGatewaySelector(api IngressAPI) string {
	if api == IngressAPIGateway {
		return GatewayNameLabel + "=" + KubernetesGatewayName
	}
	return "app=" + GatewayReleaseName
}
