package config

import (
	"slices"
	"strings"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components"
)

// Istio is the `istio:` namespace: the charts, the control plane and the ingress gateway.
type Istio struct {
	Namespace    string `json:"namespace"`
	AppNamespace string `json:"appNamespace"`
	// ChartRepo and Version pin the charts in a repository; ChartDir, when
	// set, takes the charts from a local directory instead.
	ChartRepo       string               `json:"chartRepo"`
	Version         string               `json:"version"`
	ChartDir        string               `json:"chartDir"`
	IstiodReplicas  int                  `json:"istiodReplicas"`
	IstiodResources components.Resources `json:"istiodResources"`
	AccessLogs      bool                 `json:"accessLogs"`
	Ingress         Ingress              `json:"ingress"`
	TimeoutSeconds  int                  `json:"timeoutSeconds"`
	// Platform selects the Istio charts' platform profile (minikube, gke, ...).
	Platform string `json:"platform"`
	CNI      CNI    `json:"cni"`
	// MTLS is the mesh-wide PeerAuthentication mode.
	MTLS string `json:"mtls"`
	// Authorization denies every request in the app namespace that no
	// workload's ALLOW policy lets in (by mTLS identity).
	Authorization bool `json:"authorization"`
	// NetworkPolicies deny all app-namespace traffic workloads do not allow.
	NetworkPolicies bool        `json:"networkPolicies"`
	PodSecurity     PodSecurity `json:"podSecurity"`
	// TopologySpread spreads istiod's and the gateway's replicas over zones and nodes.
	TopologySpread bool `json:"topologySpread"`
}

// CNI is `istio:cni`, the istio-cni node agent.
type CNI struct {
	Enabled   bool                 `json:"enabled"`
	Namespace string               `json:"namespace"`
	Resources components.Resources `json:"resources"`
}

// PodSecurity is `istio:podSecurity`: the Pod Security Standard level each
// namespace enforces.
type PodSecurity struct {
	App    string `json:"app"`
	System string `json:"system"`
}

// Ingress is `istio:ingress`, the ingress gateway's Service and pods.
type Ingress struct {
	Type         string               `json:"type"`
	HTTPNodePort int                  `json:"httpNodePort"`
	Host         string               `json:"host"`
	Replicas     int                  `json:"replicas"`
	Resources    components.Resources `json:"resources"`
}

// TutorialIngressNodePort is the node port the tutorial reached the ingress gateway at.
const TutorialIngressNodePort = 31380

func defaultIstio() Istio {
	return Istio{
		Namespace:      "istio-system",
		AppNamespace:   "playground",
		ChartRepo:      playk8s.Version("ISTIO_CHART_REPO"),
		Version:        playk8s.Version("ISTIO_VERSION"),
		IstiodReplicas: 1,
		IstiodResources: components.Resources{
			Requests: components.ResourceList{CPU: "100m", Memory: "256Mi"},
			Limits:   components.ResourceList{CPU: "1", Memory: "1Gi"},
		},
		AccessLogs: true,
		Ingress: Ingress{
			Type:         string(components.ServiceTypeNodePort),
			HTTPNodePort: TutorialIngressNodePort,
			Host:         "127.0.0.1",
			Replicas:     1,
			Resources: components.Resources{
				Requests: components.ResourceList{CPU: "50m", Memory: "64Mi"},
				Limits:   components.ResourceList{CPU: "1", Memory: "512Mi"},
			},
		},
		TimeoutSeconds: 600,
		CNI: CNI{
			Enabled:   true,
			Namespace: "istio-cni",
			Resources: components.Resources{
				Requests: components.ResourceList{CPU: "100m", Memory: "100Mi"},
				Limits:   components.ResourceList{CPU: "500m", Memory: "256Mi"},
			},
		},
		MTLS:            string(components.MTLSStrict),
		Authorization:   true,
		NetworkPolicies: true,
		PodSecurity: PodSecurity{
			App:    string(components.PodSecurityRestricted),
			System: string(components.PodSecurityRestricted),
		},
	}
}

func readIstio(src Source, errs *collector, known map[string]bool) Istio {
	m := defaultIstio()
	r := src.reader("istio", errs, known)
	r.str("namespace", &m.Namespace)
	r.str("appNamespace", &m.AppNamespace)
	r.str("chartRepo", &m.ChartRepo)
	r.str("version", &m.Version)
	r.str("chartDir", &m.ChartDir)
	r.integer("istiodReplicas", &m.IstiodReplicas)
	r.object("istiodResources", &m.IstiodResources)
	r.boolean("accessLogs", &m.AccessLogs)
	r.object("ingress", &m.Ingress)
	r.integer("timeoutSeconds", &m.TimeoutSeconds)
	r.str("platform", &m.Platform)
	r.object("cni", &m.CNI)
	r.str("mtls", &m.MTLS)
	r.boolean("authorization", &m.Authorization)
	r.boolean("networkPolicies", &m.NetworkPolicies)
	r.object("podSecurity", &m.PodSecurity)
	r.boolean("topologySpread", &m.TopologySpread)
	m.ChartDir = src.path(m.ChartDir)
	return m
}

func (m Istio) validate(errs *collector) {
	c := check{namespace: "istio", errs: errs}
	c.dnsLabel("namespace", m.Namespace)
	c.dnsLabel("appNamespace", m.AppNamespace)
	if m.Namespace == m.AppNamespace {
		errs.add("istio:appNamespace", quote(m.AppNamespace), "a namespace other than istio:namespace (the app namespace is labeled for sidecar injection; the control plane's must not be)")
	}
	if m.ChartDir != "" {
		if _, err := components.LocalChartPaths(m.ChartDir, m.Args(components.Tracing{}).InstalledCharts()); err != nil {
			errs.add("istio:chartDir", quote(m.ChartDir), "a directory holding the Istio charts ("+err.Error()+")")
		}
	} else {
		c.chartRepo("chartRepo", m.ChartRepo)
		c.chartVersion("version", m.Version)
	}
	c.atLeast("istiodReplicas", m.IstiodReplicas, 1)
	c.resources("istiodResources", m.IstiodResources)
	c.atLeast("timeoutSeconds", m.TimeoutSeconds, 30)

	t := components.ServiceType(m.Ingress.Type)
	c.serviceType("ingress.type", t, []components.ServiceType{
		components.ServiceTypeClusterIP, components.ServiceTypeNodePort, components.ServiceTypeLoadBalancer,
	})
	c.nodePort("ingress.httpNodePort", m.Ingress.HTTPNodePort)
	if m.Ingress.HTTPNodePort != 0 && t.Valid() && !t.HasNodePorts() {
		errs.add("istio:ingress.httpNodePort", quote(m.Ingress.HTTPNodePort), "0 unless ingress.type is NodePort or LoadBalancer")
	}
	if t == components.ServiceTypeNodePort && m.Ingress.Host == "" {
		errs.add("istio:ingress.host", `""`, "the address users reach a node at (e.g. the output of `minikube ip`)")
	}
	c.atLeast("ingress.replicas", m.Ingress.Replicas, 1)
	c.resources("ingress.resources", m.Ingress.Resources)
	m.validateSecurity(c)
}

// validateSecurity checks the mesh's security posture, and that the Pod
// Security levels can admit what runs in each namespace.
func (m Istio) validateSecurity(c check) {
	if m.Platform != "" && !slices.Contains(components.IstioPlatforms(), m.Platform) {
		c.errs.add("istio:platform", quote(m.Platform), "empty or one of the Istio charts' platform profiles: "+strings.Join(components.IstioPlatforms(), ", "))
	}
	if !slices.Contains(components.MTLSModes(), components.MTLSMode(m.MTLS)) {
		c.errs.add("istio:mtls", quote(m.MTLS), "one of "+joinEnum(components.MTLSModes()))
	}
	levels := components.PodSecurityLevels()
	app, system := components.PodSecurityLevel(m.PodSecurity.App), components.PodSecurityLevel(m.PodSecurity.System)
	if !slices.Contains(levels, app) {
		c.errs.add("istio:podSecurity.app", quote(m.PodSecurity.App), "one of "+joinEnum(levels))
	}
	if !slices.Contains(levels, system) {
		c.errs.add("istio:podSecurity.system", quote(m.PodSecurity.System), "one of "+joinEnum(levels))
	}
	if !m.CNI.Enabled {
		if app != components.PodSecurityPrivileged && slices.Contains(levels, app) {
			c.errs.add("istio:podSecurity.app", quote(m.PodSecurity.App),
				"privileged while istio:cni.enabled is false (without istio-cni every injected pod runs istio-init with NET_ADMIN and NET_RAW, which baseline and restricted refuse); or enable istio:cni")
		}
		return
	}
	c.dnsLabel("cni.namespace", m.CNI.Namespace)
	c.resources("cni.resources", m.CNI.Resources)
	switch m.CNI.Namespace {
	case m.AppNamespace:
		c.errs.add("istio:cni.namespace", quote(m.CNI.Namespace), "a namespace other than istio:appNamespace (the CNI node agent is privileged; the app namespace must not be)")
	case m.Namespace:
		if system != components.PodSecurityPrivileged && slices.Contains(levels, system) {
			c.errs.add("istio:podSecurity.system", quote(m.PodSecurity.System),
				"privileged while istio:cni.namespace is istio:namespace (the CNI node agent needs host paths and the host network); or give istio-cni its own namespace")
		}
	}
}

// Args turns the namespace into the IstioMesh component's arguments.
func (m Istio) Args(tracing components.Tracing) *components.IstioMeshArgs {
	return &components.IstioMeshArgs{
		Namespace:       m.Namespace,
		AppNamespace:    m.AppNamespace,
		Charts:          components.ChartSource{Repo: m.ChartRepo, Version: m.Version, Dir: m.ChartDir},
		IstiodReplicas:  m.IstiodReplicas,
		IstiodResources: m.IstiodResources,
		AccessLogs:      m.AccessLogs,
		Tracing:         tracing,
		Ingress: components.IngressArgs{
			Type:         components.ServiceType(m.Ingress.Type),
			HTTPNodePort: m.Ingress.HTTPNodePort,
			Host:         m.Ingress.Host,
			Replicas:     m.Ingress.Replicas,
			Resources:    m.Ingress.Resources,
		},
		TimeoutSeconds: m.TimeoutSeconds,
		Platform:       m.Platform,
		CNI:            components.CNIArgs{Enabled: m.CNI.Enabled, Namespace: m.CNI.Namespace, Resources: m.CNI.Resources},
		Security: components.MeshSecurity{
			MTLS:              components.MTLSMode(m.MTLS),
			DefaultDeny:       m.Authorization,
			NetworkPolicies:   m.NetworkPolicies,
			AppPodSecurity:    components.PodSecurityLevel(m.PodSecurity.App),
			SystemPodSecurity: components.PodSecurityLevel(m.PodSecurity.System),
		},
		TopologySpread: m.TopologySpread,
	}
}

// WorkloadPolicy is what each workload registers for itself in the mesh
// this namespace configures.
func (m Istio) WorkloadPolicy() components.WorkloadPolicy {
	return components.WorkloadPolicy{
		Authorization:   m.Authorization,
		NetworkPolicies: m.NetworkPolicies,
	}
}
