package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation"
)

// WebServer is the `webserver:` namespace: the tutorial's nginx Deployment and its Service.
type WebServer struct {
	Name                    string               `json:"name"`
	Image                   string               `json:"image"`
	Replicas                int                  `json:"replicas"`
	ContainerPort           int                  `json:"containerPort"`
	ChangeCause             string               `json:"changeCause"`
	RunAsUser               int                  `json:"runAsUser"`
	ReadOnlyRootFilesystem  bool                 `json:"readOnlyRootFilesystem"`
	Liveness                components.HTTPProbe `json:"liveness"`
	Readiness               components.HTTPProbe `json:"readiness"`
	Resources               components.Resources `json:"resources"`
	RevisionHistoryLimit    int                  `json:"revisionHistoryLimit"`
	ProgressDeadlineSeconds int                  `json:"progressDeadlineSeconds"`
	// TimeoutSeconds is how long `pulumi up` waits for a rollout before failing it.
	TimeoutSeconds int              `json:"timeoutSeconds"`
	Service        WebServerService `json:"service"`
	// TopologySpread spreads the replicas over zones and nodes.
	TopologySpread bool `json:"topologySpread"`
	// PodAnnotations are added to the pods.
	PodAnnotations map[string]string `json:"podAnnotations"`
}

// WebServerService is `webserver:service`, the tutorial's webserver-svc.
type WebServerService struct {
	Enabled               bool   `json:"enabled"`
	Name                  string `json:"name"`
	Type                  string `json:"type"`
	Port                  int    `json:"port"`
	NodePort              int    `json:"nodePort"`
	ExternalTrafficPolicy string `json:"externalTrafficPolicy"`
}

func defaultWebServer() WebServer {
	t := components.TutorialWebServerArgs()
	probe := func(p *components.HTTPProbe) components.HTTPProbe {
		out := *p
		out.Port = 0 // follows containerPort unless set
		return out
	}
	return WebServer{
		Name:                    t.Name,
		Image:                   t.Image,
		Replicas:                t.Replicas,
		ContainerPort:           t.ContainerPort,
		RunAsUser:               t.RunAsUser,
		ReadOnlyRootFilesystem:  t.ReadOnlyRootFilesystem,
		Liveness:                probe(t.Liveness),
		Readiness:               probe(t.Readiness),
		Resources:               t.Resources,
		RevisionHistoryLimit:    t.RevisionHistoryLimit,
		ProgressDeadlineSeconds: t.ProgressDeadlineSeconds,
		TimeoutSeconds:          300,
		Service: WebServerService{
			Enabled: true,
			Name:    t.Service.Name,
			Type:    string(t.Service.Type),
			Port:    t.Service.Port,
		},
	}
}

func readWebServer(src Source, errs *collector, known map[string]bool) WebServer {
	w := defaultWebServer()
	r := src.reader("webserver", errs, known)
	r.str("name", &w.Name)
	r.str("image", &w.Image)
	r.integer("replicas", &w.Replicas)
	r.integer("containerPort", &w.ContainerPort)
	r.str("changeCause", &w.ChangeCause)
	r.integer("runAsUser", &w.RunAsUser)
	r.boolean("readOnlyRootFilesystem", &w.ReadOnlyRootFilesystem)
	r.object("liveness", &w.Liveness)
	r.object("readiness", &w.Readiness)
	r.object("resources", &w.Resources)
	r.integer("revisionHistoryLimit", &w.RevisionHistoryLimit)
	r.integer("progressDeadlineSeconds", &w.ProgressDeadlineSeconds)
	r.integer("timeoutSeconds", &w.TimeoutSeconds)
	r.object("service", &w.Service)
	r.boolean("topologySpread", &w.TopologySpread)
	r.object("podAnnotations", &w.PodAnnotations)
	return w
}

func (w WebServer) validate(errs *collector) {
	c := check{namespace: "webserver", errs: errs}
	c.dnsLabel("name", w.Name)
	c.image("image", w.Image)
	c.atLeast("replicas", w.Replicas, 0)
	c.port("containerPort", w.ContainerPort)
	c.atLeast("runAsUser", w.RunAsUser, 0)
	for key, p := range map[string]components.HTTPProbe{"liveness": w.Liveness, "readiness": w.Readiness} {
		if p.Port == 0 {
			p.Port = w.ContainerPort // 0 means "the container port"
		}
		c.probe(key, p)
	}
	c.resources("resources", w.Resources)
	c.atLeast("revisionHistoryLimit", w.RevisionHistoryLimit, 0)
	c.atLeast("progressDeadlineSeconds", w.ProgressDeadlineSeconds, 1)
	c.atLeast("timeoutSeconds", w.TimeoutSeconds, 1)
	for _, k := range slices.Sorted(maps.Keys(w.PodAnnotations)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs.add("webserver:podAnnotations", quote(k), "annotation keys that are qualified names, e.g. example.com/key ("+strings.Join(msgs, "; ")+")")
		}
	}
	if !w.Service.Enabled {
		return
	}
	s := w.Service
	c.serviceName("service.name", s.Name)
	t := components.ServiceType(s.Type)
	c.serviceType("service.type", t, components.ServiceTypes())
	if t == components.ServiceTypeExternalName {
		errs.add("webserver:service.type", quote(s.Type), "ClusterIP, NodePort or LoadBalancer (an ExternalName Service cannot front the web server's pods)")
	}
	c.port("service.port", s.Port)
	c.nodePort("service.nodePort", s.NodePort)
	if s.NodePort != 0 && t.Valid() && !t.HasNodePorts() {
		errs.add("webserver:service.nodePort", quote(s.NodePort), "0 unless service.type is NodePort or LoadBalancer (a "+s.Type+" Service opens no node port)")
	}
	switch p := components.ExternalTrafficPolicy(s.ExternalTrafficPolicy); {
	case p == "":
	case p != components.ExternalTrafficPolicyCluster && p != components.ExternalTrafficPolicyLocal:
		c.errs.add("webserver:service.externalTrafficPolicy", quote(s.ExternalTrafficPolicy), "Cluster or Local")
	case t.Valid() && !t.HasNodePorts():
		errs.add("webserver:service.externalTrafficPolicy", quote(s.ExternalTrafficPolicy),
			"no value unless service.type is NodePort or LoadBalancer (it steers external traffic, which a "+s.Type+" Service does not receive)")
	}
}

// Args turns the namespace into the WebServer component's arguments.
func (w WebServer) Args(namespace pulumi.StringInput) *components.WebServerArgs {
	args := components.TutorialWebServerArgs()
	args.Namespace = namespace
	args.Name = w.Name
	args.Image = w.Image
	args.Replicas = w.Replicas
	args.ContainerPort = w.ContainerPort
	args.ChangeCause = w.ChangeCause
	args.RunAsUser = w.RunAsUser
	args.ReadOnlyRootFilesystem = w.ReadOnlyRootFilesystem
	args.Liveness = w.probeArgs(w.Liveness)
	args.Readiness = w.probeArgs(w.Readiness)
	args.Resources = w.Resources
	args.RevisionHistoryLimit = w.RevisionHistoryLimit
	args.ProgressDeadlineSeconds = w.ProgressDeadlineSeconds
	args.RolloutTimeoutSeconds = w.TimeoutSeconds
	args.TopologySpread = w.TopologySpread
	args.PodAnnotations = w.PodAnnotations
	if !w.Service.Enabled {
		args.Service = nil
		return &args
	}
	args.Service.Name = w.Service.Name
	args.Service.Type = components.ServiceType(w.Service.Type)
	args.Service.Port = w.Service.Port
	args.Service.NodePort = w.Service.NodePort
	args.Service.ExternalTrafficPolicy = components.ExternalTrafficPolicy(w.Service.ExternalTrafficPolicy)
	return &args
}

func (w WebServer) probeArgs(p components.HTTPProbe) *components.HTTPProbe {
	if p.Port == 0 {
		p.Port = w.ContainerPort
	}
	return &p
}
