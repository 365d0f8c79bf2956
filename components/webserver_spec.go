package components

import (
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WebServerSpec is the web server as a user asks for it: the `webserver:`
// config namespace, one field per key (the JSON names are the keys).
type WebServerSpec struct {
	// Name of the Deployment, its ServiceAccount and its policies (the tutorial's "webserver").
	Name string `json:"name"`
	// Image of the nginx container.
	Image string `json:"image"`
	// Replicas of the pod (the tutorial's 3).
	Replicas int `json:"replicas"`
	// ContainerPort nginx listens on.
	ContainerPort int `json:"containerPort"`
	// ChangeCause is recorded as the revision's change cause; empty means
	// "image <Image>", so an image change shows in `kubectl rollout history`.
	ChangeCause string `json:"changeCause"`
	// RunAsUser is the UID the container runs as; 0 keeps the image's user.
	RunAsUser int `json:"runAsUser"`
	// ReadOnlyRootFilesystem mounts the root filesystem read-only, with
	// writable emptyDirs where nginx writes (/var/cache/nginx, /var/run, /tmp).
	ReadOnlyRootFilesystem bool `json:"readOnlyRootFilesystem"`
	// Liveness and Readiness probe the container (port 0: ContainerPort).
	Liveness  HTTPProbe `json:"liveness"`
	Readiness HTTPProbe `json:"readiness"`
	// Resources of the container.
	Resources Resources `json:"resources"`
	// RevisionHistoryLimit is how many old ReplicaSets `rollout undo` can go back to.
	RevisionHistoryLimit int `json:"revisionHistoryLimit"`
	// ProgressDeadlineSeconds after which Kubernetes marks a stuck rollout failed.
	ProgressDeadlineSeconds int `json:"progressDeadlineSeconds"`
	// TimeoutSeconds bounds how long `pulumi up` waits for a rollout to
	// become ready: a rollout that never does fails up with its reason.
	TimeoutSeconds int `json:"timeoutSeconds"`
	// Service is the tutorial's webserver-svc in front of the pods.
	Service WebServerServiceSpec `json:"service"`
	// PodAnnotations are added to the pod template (tooling hints such as
	// the sandbox's probe simulation); the change cause is always set.
	PodAnnotations map[string]string `json:"podAnnotations"`
	// TopologySpread spreads the replicas over zones, then nodes.
	TopologySpread bool `json:"topologySpread"`
	// Shutdown keeps a leaving pod serving until no node sends it new
	// connections: the image change drops no request.
	Shutdown
}

// WebServerServiceSpec is how the web server is exposed (`webserver:service`).
type WebServerServiceSpec struct {
	// Enabled creates the Service.
	Enabled bool `json:"enabled"`
	// Name of the Service (the tutorial's webserver-svc).
	Name string `json:"name"`
	// Type of the Service: one that fronts pods (not ExternalName).
	Type ServiceType `json:"type"`
	// Port the Service listens on (the tutorial's 80; the pods listen on ContainerPort).
	Port int `json:"port"`
	// NodePort fixes the node port; 0 lets Kubernetes choose.
	NodePort int `json:"nodePort"`
	// ExternalTrafficPolicy Local keeps the client IP (the tutorial's caveat).
	ExternalTrafficPolicy ExternalTrafficPolicy `json:"externalTrafficPolicy"`
}

// The unprivileged nginx image's user and port.
const (
	UnprivilegedNginxUID  = 101
	UnprivilegedNginxPort = 8080
)

// Defaults are the tutorial's webserver.yaml and service-type.yaml: the
// Deployment "webserver", 3 pods with a liveness probe GET / (initial delay
// 3 s, period 3 s), behind the NodePort Service "webserver-svc" on port 80.
//
// One thing differs, on purpose: the tutorial's nginx:stable-alpine runs as
// root and needs root's capabilities to switch to its worker user, so it
// cannot pass the "restricted" Pod Security Standard these pods run under.
// The default is the same nginx built to run unprivileged (uid 101, port
// 8080, read-only root filesystem); the Service keeps the tutorial's port 80.
// What the tutorial left out is filled with safe values: a readiness probe,
// requests and limits, a revision history, a rollout timeout.
func (s *WebServerSpec) Defaults() {
	*s = WebServerSpec{
		Name:                   "webserver",
		Image:                  playk8s.Version("NGINX_IMAGE"),
		Replicas:               3,
		ContainerPort:          UnprivilegedNginxPort,
		RunAsUser:              UnprivilegedNginxUID,
		ReadOnlyRootFilesystem: true,
		Liveness:               HTTPProbe{Path: "/", InitialDelaySeconds: 3, PeriodSeconds: 3},
		Readiness:              HTTPProbe{Path: "/", PeriodSeconds: 3},
		Resources: Resources{
			Requests: ResourceList{CPU: "50m", Memory: "32Mi"},
			Limits:   ResourceList{CPU: "200m", Memory: "64Mi"},
		},
		Shutdown:                DefaultShutdown(),
		RevisionHistoryLimit:    10,
		ProgressDeadlineSeconds: 120,
		TimeoutSeconds:          300,
		Service: WebServerServiceSpec{
			Enabled: true,
			Name:    "webserver-svc",
			Type:    ServiceTypeNodePort,
			Port:    80,
		},
	}
}

// Validate refuses, all at once, every value the API server or the
// provider would refuse later.
func (s WebServerSpec) Validate() field.ErrorList {
	errs := rule.DNS1123Label(field.NewPath("name"), s.Name)
	errs = append(errs, rule.Image(field.NewPath("image"), s.Image)...)
	errs = append(errs, rule.Int32AtLeast(field.NewPath("replicas"), s.Replicas, 0)...)
	errs = append(errs, rule.Port(field.NewPath("containerPort"), s.ContainerPort)...)
	errs = append(errs, rule.UserID(field.NewPath("runAsUser"), s.RunAsUser)...)
	errs = append(errs, s.Liveness.Validate(field.NewPath("liveness"))...)
	errs = append(errs, s.Readiness.Validate(field.NewPath("readiness"))...)
	errs = append(errs, s.Resources.Validate(field.NewPath("resources"))...)
	errs = append(errs, s.Shutdown.Validate()...)
	errs = append(errs, rule.Int32AtLeast(field.NewPath("revisionHistoryLimit"), s.RevisionHistoryLimit, 0)...)
	errs = append(errs, rule.Int32AtLeast(field.NewPath("progressDeadlineSeconds"), s.ProgressDeadlineSeconds, 1)...)
	errs = append(errs, rule.AtLeast(field.NewPath("timeoutSeconds"), s.TimeoutSeconds, 1)...)
	errs = append(errs, rule.Annotations(field.NewPath("podAnnotations"), s.PodAnnotations)...)
	// The change cause is one more annotation of the same pods.
	errs = append(errs, rule.AnnotationFits(field.NewPath("changeCause"), ChangeCauseAnnotation, s.changeCause(), s.PodAnnotations)...)
	if s.Service.Enabled {
		errs = append(errs, s.Service.validate(field.NewPath("service"))...)
	}
	return errs
}

func (s WebServerServiceSpec) validate(at *field.Path) field.ErrorList {
	errs := rule.DNS1035Label(at.Child("name"), s.Name)
	errs = append(errs, rule.OneOf(at.Child("type"), s.Type, FrontingServiceTypes()...)...)
	errs = append(errs, rule.Port(at.Child("port"), s.Port)...)
	errs = append(errs, nodePortRule(at.Child("nodePort"), s.NodePort, s.Type, at.Child("type"))...)
	return append(errs, trafficPolicyRule(at.Child("externalTrafficPolicy"), s.ExternalTrafficPolicy, s.Type, at.Child("type"))...)
}

// changeCause is the change cause the current revision records.
func (s WebServerSpec) changeCause() string {
	if s.ChangeCause != "" {
		return s.ChangeCause
	}
	return "image " + s.Image
}
