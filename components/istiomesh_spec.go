package components

import (
	"path/filepath"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// IstioMeshSpec is the mesh as a user asks for it: the `istio:` config
// namespace, one field per key (the JSON names are the keys).
type IstioMeshSpec struct {
	// Namespace of the control plane and the ingress gateway (istio-system).
	Namespace string `json:"namespace"`
	// AppNamespace is where the workloads run, labeled for sidecar injection.
	AppNamespace string `json:"appNamespace"`
	// ChartSource and ImageSource are where the charts and their images come from.
	ChartSource
	ImageSource
	// IstiodReplicas runs istiod with this many replicas (2+ for HA), autoscaling off.
	IstiodReplicas int `json:"istiodReplicas"`
	// IstiodResources of the discovery container (the chart asks 500m/2Gi by default).
	IstiodResources Resources `json:"istiodResources"`
	// AccessLogs turns Envoy's access log to stdout on, so `kubectl logs <pod> istio-proxy` shows requests.
	AccessLogs bool `json:"accessLogs"`
	// Ingress shapes the ingress gateway.
	Ingress IngressSpec `json:"ingress"`
	// TimeoutSeconds bounds each Helm release's install or upgrade.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// Platform selects the charts' platform profile (global.platform:
	// minikube, gke, k3s, ...); empty for none.
	Platform string `json:"platform"`
	// CNI is istio-cni, the node agent that sets up each pod's traffic
	// redirection so injected pods need no NET_ADMIN/NET_RAW init container.
	CNI CNISpec `json:"cni"`
	// MTLS is the mesh-wide PeerAuthentication mode.
	MTLS MTLSMode `json:"mtls"`
	// Authorization adds an allow-nothing AuthorizationPolicy to the app
	// namespace: only the ALLOW policies workloads add let requests in.
	Authorization bool `json:"authorization"`
	// NetworkPolicies deny all traffic in the app namespace but DNS, the
	// sidecars' control plane and telemetry, and what workloads allow.
	NetworkPolicies bool `json:"networkPolicies"`
	// PodSecurity is the Pod Security Standard level each namespace enforces.
	PodSecurity PodSecuritySpec `json:"podSecurity"`
	// SidecarInjection labels the app namespace for automatic sidecar
	// injection; off, it is labeled istio-injection: disabled (a cluster
	// that cannot run Envoy).
	SidecarInjection bool `json:"sidecarInjection"`
	// TopologySpread spreads istiod's and the gateway's replicas over zones and nodes.
	TopologySpread bool `json:"topologySpread"`
	// Revisions installs one istiod per revision instead of the
	// revision-less one: Istio's canary upgrade (istiorevision.go).
	Revisions []IstiodRevision `json:"revisions"`
	// RevisionTags maps each revision tag to the revision it points at.
	RevisionTags map[string]string `json:"revisionTags"`
	// AppRevision is the tag or revision the app namespace and the ingress
	// gateway select (istio.io/rev), with revisions.
	AppRevision string `json:"appRevision"`
	// AllowUnsupportedKubernetes lets preview and up go on against a
	// cluster whose Kubernetes the pinned Istio does not support
	// (kubeversion: versions.env's range), which they refuse otherwise.
	AllowUnsupportedKubernetes bool `json:"allowUnsupportedKubernetes"`
}

// IngressSpec shapes the ingress gateway (`istio:ingress`).
type IngressSpec struct {
	// API is how the ingress is configured: Istio's Gateway and
	// VirtualService on the gateway chart's pods, or the Kubernetes Gateway
	// API (a Gateway istiod provisions, and an HTTPRoute).
	API IngressAPI `json:"api"`
	// Type of its Service: NodePort on minikube, LoadBalancer on a cloud.
	Type ServiceType `json:"type"`
	// HTTPNodePort fixes the HTTP node port (the tutorial's 31380); 0 lets Kubernetes choose.
	HTTPNodePort int `json:"httpNodePort"`
	// Host is the address users reach a NodePort at (e.g. `minikube ip`);
	// for LoadBalancer the load balancer's address is used.
	Host string `json:"host"`
	// Replicas of the gateway pods.
	Replicas int `json:"replicas"`
	// Resources of the gateway's proxy container.
	Resources Resources `json:"resources"`
	// NodeSelector and Tolerations place the gateway's pods (dedicated ingress nodes).
	NodeSelector map[string]string   `json:"nodeSelector"`
	Tolerations  []corev1.Toleration `json:"tolerations"`
}

// CNISpec is istio-cni (`istio:cni`).
type CNISpec struct {
	Enabled bool `json:"enabled"`
	// Namespace of the node agent: it is privileged (host paths, host
	// network), so it gets its own namespace enforcing "privileged" and
	// nothing else runs there. On GKE use kube-system (see the README).
	Namespace string `json:"namespace"`
	// Resources of the node agent's container.
	Resources Resources `json:"resources"`
	// BinDir and ConfDir are where the node's container runtime keeps CNI
	// plugins and their configuration; empty keeps the chart's
	// (/opt/cni/bin, /etc/cni/net.d).
	BinDir  string `json:"binDir"`
	ConfDir string `json:"confDir"`
}

// PodSecuritySpec is the Pod Security Standard level the app and the
// control-plane namespaces enforce (`istio:podSecurity`).
type PodSecuritySpec struct {
	App    PodSecurityLevel `json:"app"`
	System PodSecurityLevel `json:"system"`
}

// TutorialIngressNodePort is the node port the tutorial reached the ingress gateway at.
const TutorialIngressNodePort = 31380

// Defaults are the tutorial's mesh on today's Istio, secure by default:
// istio-cni, STRICT mTLS, default deny by identity and by network,
// restricted namespaces, the ingress gateway on NodePort 31380.
func (s *IstioMeshSpec) Defaults() {
	*s = IstioMeshSpec{
		Namespace:      "istio-system",
		AppNamespace:   "playground",
		ChartSource:    defaultChartSource(),
		IstiodReplicas: 1,
		IstiodResources: Resources{
			Requests: ResourceList{CPU: "100m", Memory: "256Mi"},
			Limits:   ResourceList{CPU: "1", Memory: "1Gi"},
		},
		AccessLogs: true,
		Ingress: IngressSpec{
			API:          IngressAPIIstio,
			Type:         ServiceTypeNodePort,
			HTTPNodePort: TutorialIngressNodePort,
			Host:         "127.0.0.1",
			Replicas:     1,
			Resources: Resources{
				Requests: ResourceList{CPU: "50m", Memory: "64Mi"},
				Limits:   ResourceList{CPU: "1", Memory: "512Mi"},
			},
		},
		TimeoutSeconds: 600,
		CNI: CNISpec{
			Enabled:   true,
			Namespace: "istio-cni",
			Resources: Resources{
				Requests: ResourceList{CPU: "100m", Memory: "100Mi"},
				Limits:   ResourceList{CPU: "500m", Memory: "256Mi"},
			},
		},
		MTLS:             MTLSStrict,
		Authorization:    true,
		NetworkPolicies:  true,
		PodSecurity:      PodSecuritySpec{App: PodSecurityRestricted, System: PodSecurityRestricted},
		SidecarInjection: true,
	}
}

// installedCharts are the charts the spec installs, in order: cni only
// with istio-cni, gateway only for Istio's own ingress API (with the
// Gateway API, istiod provisions the gateway).
func (s IstioMeshSpec) installedCharts() []IstioChart {
	return installedCharts(s.CNI.Enabled, s.Ingress.API != IngressAPIGateway)
}

// ResolvePaths makes a relative chart directory relative to root (the project's).
func (s *IstioMeshSpec) ResolvePaths(root string) {
	if s.Dir != "" && !filepath.IsAbs(s.Dir) {
		s.Dir = filepath.Join(root, s.Dir)
	}
	s.resolveRevisionPaths(root)
}

// Validate refuses, all at once, every value Helm, Istio or the API server
// would refuse later, and the combinations that cannot run.
func (s IstioMeshSpec) Validate() field.ErrorList {
	errs := rule.DNS1123Label(field.NewPath("namespace"), s.Namespace)
	errs = append(errs, rule.DNS1123Label(field.NewPath("appNamespace"), s.AppNamespace)...)
	if s.AppNamespace == s.Namespace {
		errs = append(errs, rule.Refuse(field.NewPath("appNamespace"), s.AppNamespace,
			"other than namespace (the app namespace is labeled for sidecar injection; the control plane's must not be)")...)
	}
	errs = append(errs, s.validateNamespaces()...)
	errs = append(errs, s.ChartSource.validate(s.installedCharts())...)
	errs = append(errs, s.ImageSource.validate()...)
	errs = append(errs, rule.Int32AtLeast(field.NewPath("istiodReplicas"), s.IstiodReplicas, 1)...)
	errs = append(errs, s.IstiodResources.Validate(field.NewPath("istiodResources"))...)
	errs = append(errs, s.Ingress.validate(field.NewPath("ingress"))...)
	errs = append(errs, rule.AtLeast(field.NewPath("timeoutSeconds"), s.TimeoutSeconds, 30)...)
	errs = append(errs, rule.EmptyOrOneOf(field.NewPath("platform"), s.Platform, IstioPlatforms()...)...)
	errs = append(errs, rule.OneOf(field.NewPath("mtls"), s.MTLS, MTLSModes()...)...)
	errs = append(errs, s.validateRevisions()...)
	return append(errs, s.validatePodSecurity()...)
}

func (s IngressSpec) validate(at *field.Path) field.ErrorList {
	errs := rule.OneOf(at.Child("api"), s.API, IngressAPIs()...)
	errs = append(errs, rule.OneOf(at.Child("type"), s.Type, FrontingServiceTypes()...)...)
	errs = append(errs, nodePortRule(at.Child("httpNodePort"), s.HTTPNodePort, s.Type, at.Child("type"))...)
	if s.API == IngressAPIGateway && s.Type == ServiceTypeLoadBalancer && s.HTTPNodePort != 0 {
		// The load balancer is the Service istiod provisions; fixing its
		// node port would make a switch of ingress.api ask for the port
		// while the old API's Service still holds it (holdsServiceOfItsOwn).
		errs = append(errs, rule.Refuse(at.Child("httpNodePort"), s.HTTPNodePort, "0 when ingress.api is gateway-api and ingress.type is LoadBalancer"+
			" (the Gateway's load balancer gets its node ports from Kubernetes; type NodePort fixes one)")...)
	}
	if s.Type == ServiceTypeNodePort && s.Host == "" {
		errs = append(errs, rule.Missing(at.Child("host"), "the address users reach a node at (e.g. the output of `minikube ip`) when ingress.type is NodePort")...)
	}
	// The host becomes the ingress URL's, http://<host>:<node port>.
	errs = append(errs, rule.Host(at.Child("host"), s.Host)...)
	errs = append(errs, rule.Int32AtLeast(at.Child("replicas"), s.Replicas, 1)...)
	errs = append(errs, s.Resources.Validate(at.Child("resources"))...)
	errs = append(errs, rule.Labels(at.Child("nodeSelector"), s.NodeSelector)...)
	return append(errs, rule.Tolerations(at.Child("tolerations"), s.Tolerations)...)
}

// validatePodSecurity refuses levels that cannot admit what runs in each
// namespace: without istio-cni every injected pod runs istio-init with
// NET_ADMIN and NET_RAW, which baseline and restricted refuse; the CNI
// node agent needs host paths and the host network.
func (s IstioMeshSpec) validatePodSecurity() field.ErrorList {
	app, system := field.NewPath("podSecurity", "app"), field.NewPath("podSecurity", "system")
	errs := rule.OneOf(app, s.PodSecurity.App, PodSecurityLevels()...)
	errs = append(errs, rule.OneOf(system, s.PodSecurity.System, PodSecurityLevels()...)...)
	if !s.CNI.Enabled {
		if s.SidecarInjection && s.PodSecurity.App.Valid() && s.PodSecurity.App != PodSecurityPrivileged {
			errs = append(errs, rule.Refuse(app, string(s.PodSecurity.App), "privileged unless cni.enabled is true or sidecarInjection is false"+
				" (without istio-cni every injected pod runs istio-init with NET_ADMIN and NET_RAW, which baseline and restricted refuse)")...)
		}
		return errs
	}
	cni := field.NewPath("cni")
	errs = append(errs, rule.DNS1123Label(cni.Child("namespace"), s.CNI.Namespace)...)
	errs = append(errs, s.CNI.Resources.Validate(cni.Child("resources"))...)
	errs = append(errs, rule.AbsolutePath(cni.Child("binDir"), s.CNI.BinDir)...)
	errs = append(errs, rule.AbsolutePath(cni.Child("confDir"), s.CNI.ConfDir)...)
	switch s.CNI.Namespace {
	case s.AppNamespace:
		errs = append(errs, rule.Refuse(cni.Child("namespace"), s.CNI.Namespace,
			"other than appNamespace (the CNI node agent is privileged; the app namespace must not be)")...)
	case s.Namespace:
		if s.PodSecurity.System.Valid() && s.PodSecurity.System != PodSecurityPrivileged {
			errs = append(errs, rule.Refuse(system, string(s.PodSecurity.System), "privileged when cni.namespace is namespace"+
				" (the CNI node agent needs host paths and the host network; or give istio-cni a namespace of its own)")...)
		}
	}
	return errs
}

// IstioPlatforms are the platform profiles the pinned Istio charts ship
// (files/profile-platform-<name>.yaml), for global.platform.
func IstioPlatforms() []string {
	return []string{"gke", "k3d", "k3s", "microk8s", "minikube", "openshift"}
}
