package config

import (
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
		if _, err := components.LocalChartPaths(m.ChartDir); err != nil {
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
	}
}
