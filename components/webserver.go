package components

import (
	"fmt"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WebServerToken is the Pulumi type token of the WebServer component.
const WebServerToken = "playk8s:index:WebServer"

// ChangeCauseAnnotation is the annotation `kubectl rollout history` prints as
// CHANGE-CAUSE. kubectl's `--record` used to set it; the WebServer sets it on
// the pod template, so each revision carries its own cause and a revert (of
// config, or `kubectl rollout undo`) restores the old one with the old image.
const ChangeCauseAnnotation = "kubernetes.io/change-cause"

// WebServerArgs are the arguments of a WebServer. TutorialWebServerArgs
// returns the tutorial's webserver.yaml and service-type.yaml as values.
type WebServerArgs struct {
	// Namespace the Deployment and its Service live in.
	Namespace pulumi.StringInput
	// Name of the Deployment (the tutorial's "webserver").
	Name string
	// Labels on the Deployment object (the tutorial's app: webserver).
	Labels map[string]string
	// PodLabels on the pods, also the Deployment's and the Service's selector (the tutorial's app: nginx).
	PodLabels map[string]string
	// Replicas of the pod (the tutorial's 3).
	Replicas int
	// Image of the nginx container (default: the unprivileged nginx; the tutorial's was nginx:stable-alpine).
	Image string
	// ContainerPort nginx listens on.
	ContainerPort int
	// ChangeCause is recorded as the revision's change cause; empty means
	// "image <Image>", so an image change shows in `kubectl rollout history`.
	ChangeCause string
	// RunAsUser is the UID the container runs as; 0 keeps the image's user.
	RunAsUser int
	// ReadOnlyRootFilesystem mounts the root filesystem read-only; the
	// WebServer then mounts writable emptyDirs where nginx writes
	// (/var/cache/nginx, /var/run, /tmp).
	ReadOnlyRootFilesystem bool
	// Liveness and Readiness probes; nil disables one.
	Liveness  *HTTPProbe
	Readiness *HTTPProbe
	// Resources of the container.
	Resources Resources
	// RevisionHistoryLimit is how many old ReplicaSets `rollout undo` can go back to.
	RevisionHistoryLimit int
	// ProgressDeadlineSeconds after which Kubernetes marks a stuck rollout failed.
	ProgressDeadlineSeconds int
	// RolloutTimeoutSeconds bounds how long `pulumi up` waits for a rollout to
	// become ready before failing it; 0 keeps the provider's default (10 minutes).
	RolloutTimeoutSeconds int
	// Service exposes the pods; nil creates none.
	Service *WebServerService
	// Mesh, when the pods run in an Istio mesh, registers their policies:
	// the Service is reached from outside the mesh (a NodePort, like the
	// tutorial's curl), so mTLS is PERMISSIVE for these pods only, and
	// anyone may reach the container port, nothing else.
	Mesh *WorkloadPolicy
	// IstioDependsOn are what the Mesh policies wait for: the release
	// installing Istio's CRDs.
	IstioDependsOn []pulumi.Resource
	// TopologySpread spreads the replicas over zones, then nodes.
	TopologySpread bool
	// PodsDependOn are what the Deployment waits for before its pods are
	// created: in a mesh, the sidecar injector (IstioMesh.Injection).
	PodsDependOn []pulumi.Resource
	// PodAnnotations are added to the pod template (tooling hints such as
	// the sandbox's probe simulation); the change cause is always set.
	PodAnnotations map[string]string
}

// WebServerService is how a WebServer is exposed (the tutorial's webserver-svc).
type WebServerService struct {
	Name                  string
	Type                  ServiceType
	Port                  int
	NodePort              int
	ExternalTrafficPolicy ExternalTrafficPolicy
	Labels                map[string]string
}

// TutorialWebServerArgs returns the tutorial's web server: Deployment
// "webserver" labeled app: webserver, 3 pods labeled app: nginx with a
// liveness probe GET / (initial delay 3 s, period 3 s), behind the NodePort
// Service "webserver-svc" on port 80.
//
// One thing differs, on purpose: the tutorial's nginx:stable-alpine runs as
// root and needs root's capabilities to switch to its worker user, so it
// cannot pass the "restricted" Pod Security Standard these pods run under.
// The default is the same nginx built to run unprivileged (uid 101, port
// 8080, read-only root filesystem); the Service keeps the tutorial's port 80.
// What the tutorial left out is filled with safe values: a readiness probe,
// requests and limits, a revision history.
func TutorialWebServerArgs() WebServerArgs {
	return WebServerArgs{
		Name:                   "webserver",
		Labels:                 map[string]string{"app": "webserver"},
		PodLabels:              map[string]string{"app": "nginx"},
		Replicas:               3,
		Image:                  playk8s.Version("NGINX_IMAGE"),
		ContainerPort:          UnprivilegedNginxPort,
		RunAsUser:              UnprivilegedNginxUID,
		ReadOnlyRootFilesystem: true,
		Liveness:               &HTTPProbe{Path: "/", Port: UnprivilegedNginxPort, InitialDelaySeconds: 3, PeriodSeconds: 3},
		Readiness:              &HTTPProbe{Path: "/", Port: UnprivilegedNginxPort, PeriodSeconds: 3},
		Resources: Resources{
			Requests: ResourceList{CPU: "50m", Memory: "32Mi"},
			Limits:   ResourceList{CPU: "200m", Memory: "64Mi"},
		},
		RevisionHistoryLimit:    10,
		ProgressDeadlineSeconds: 120,
		Service: &WebServerService{
			Name:   "webserver-svc",
			Type:   ServiceTypeNodePort,
			Port:   80,
			Labels: map[string]string{"run": "webserver-svc"},
		},
	}
}

// The unprivileged nginx image's user and port.
const (
	UnprivilegedNginxUID  = 101
	UnprivilegedNginxPort = 8080
)

// WebServer is the tutorial's nginx Deployment and the Service in front of it.
type WebServer struct {
	pulumi.ResourceState

	// Deployment is the nginx Deployment.
	Deployment *appsv1.Deployment
	// Service is the exposure, nil when none was asked for.
	Service *Service

	// DeploymentName is the Deployment's Kubernetes name.
	DeploymentName pulumi.StringOutput `pulumi:"deploymentName"`
	// Image is the image the current revision runs.
	Image pulumi.StringOutput `pulumi:"image"`
	// URL is the in-cluster address of the Service ("" without one).
	URL pulumi.StringOutput `pulumi:"url"`
	// NodePort of the Service, 0 when it opens none.
	NodePort pulumi.IntOutput `pulumi:"nodePort"`
}

// ChangeCause is the change cause a WebServer records for its current revision.
func (a *WebServerArgs) changeCause() string {
	if a.ChangeCause != "" {
		return a.ChangeCause
	}
	return "image " + a.Image
}

func (a *WebServerArgs) check(name string) error {
	switch {
	case a.Name == "":
		return fmt.Errorf("webserver %q: name is required", name)
	case a.Image == "":
		return fmt.Errorf("webserver %q: image is required", name)
	case len(a.PodLabels) == 0:
		return fmt.Errorf("webserver %q: podLabels are required (they are the selector)", name)
	case a.Replicas < 0:
		return fmt.Errorf("webserver %q: replicas must be >= 0, got %d", name, a.Replicas)
	case a.ContainerPort < 1 || a.ContainerPort > 65535:
		return fmt.Errorf("webserver %q: containerPort must be 1-65535, got %d", name, a.ContainerPort)
	}
	return nil
}

// NewWebServer registers a WebServer: its Deployment and, unless args.Service
// is nil, a Service component selecting its pods.
func NewWebServer(ctx *pulumi.Context, name string, args *WebServerArgs, opts ...pulumi.ResourceOption) (*WebServer, error) {
	if args == nil {
		return nil, fmt.Errorf("webserver %q: args are required", name)
	}
	if err := args.check(name); err != nil {
		return nil, err
	}
	component := &WebServer{}
	if err := ctx.RegisterComponentResource(WebServerToken, name, component, opts...); err != nil {
		return nil, err
	}

	container := corev1.ContainerArgs{
		Name:  pulumi.String("nginx"),
		Image: pulumi.String(args.Image),
		Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{
			Name:          pulumi.String("http"),
			ContainerPort: pulumi.Int(args.ContainerPort),
		}},
		LivenessProbe:   args.Liveness.args(),
		ReadinessProbe:  args.Readiness.args(),
		Resources:       args.Resources.args(),
		SecurityContext: restrictedContainerSecurityContext(args.ReadOnlyRootFilesystem),
	}
	// Its own ServiceAccount (its mesh identity); nginx never calls the
	// Kubernetes API, so no token is mounted.
	sa, err := corev1.NewServiceAccount(ctx, args.Name, &corev1.ServiceAccountArgs{
		Metadata:                     &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(args.Name), Namespace: args.Namespace},
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, pulumi.Parent(component))
	if err != nil {
		return nil, err
	}
	podSpec := &corev1.PodSpecArgs{
		ServiceAccountName:           sa.Metadata.Name(),
		AutomountServiceAccountToken: pulumi.Bool(false),
		SecurityContext:              restrictedPodSecurityContext(args.RunAsUser),
		TopologySpreadConstraints:    topologySpread(args.TopologySpread, args.PodLabels),
	}
	if args.ReadOnlyRootFilesystem {
		// nginx writes its pid, temp files and cache; give it exactly those, writable.
		var mounts corev1.VolumeMountArray
		var volumes corev1.VolumeArray
		for i, path := range []string{"/var/cache/nginx", "/var/run", "/tmp"} {
			volName := fmt.Sprintf("scratch-%d", i)
			mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(volName), MountPath: pulumi.String(path)})
			volumes = append(volumes, corev1.VolumeArgs{Name: pulumi.String(volName), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}})
		}
		container.VolumeMounts = mounts
		podSpec.Volumes = volumes
	}
	podSpec.Containers = corev1.ContainerArray{container}

	deployment, err := appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Annotations: ownedAnnotations(),
			Name:        pulumi.String(args.Name),
			Namespace:   args.Namespace,
			Labels:      stringMap(args.Labels),
		},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas:                pulumi.Int(args.Replicas),
			RevisionHistoryLimit:    pulumi.Int(args.RevisionHistoryLimit),
			ProgressDeadlineSeconds: optionalInt(args.ProgressDeadlineSeconds),
			Selector:                &metav1.LabelSelectorArgs{MatchLabels: stringMap(args.PodLabels)},
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type: pulumi.String("RollingUpdate"),
				// Never drop below the desired count: a new pod must be ready
				// before an old one goes, so a broken rollout leaves the old
				// ReplicaSet serving.
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
					MaxUnavailable: pulumi.Int(0),
					MaxSurge:       pulumi.String("25%"),
				},
			},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      stringMap(args.PodLabels),
					Annotations: stringMap(mergeMaps(args.PodAnnotations, map[string]string{ChangeCauseAnnotation: args.changeCause()})),
				},
				Spec: podSpec,
			},
		},
	}, pulumi.Parent(component), rolloutTimeout(args.RolloutTimeoutSeconds), pulumi.DependsOn(args.PodsDependOn))
	if err != nil {
		return nil, err
	}
	component.Deployment = deployment
	if _, err := newDisruptionBudget(ctx, args.Name, args.Namespace, args.Replicas, args.PodLabels, pulumi.Parent(component)); err != nil {
		return nil, err
	}
	component.DeploymentName = deployment.Metadata.Name().Elem()
	component.Image = deployment.Spec.Template().Spec().Containers().Index(pulumi.Int(0)).Image().Elem()
	component.URL = pulumi.String("").ToStringOutput()
	component.NodePort = pulumi.Int(0).ToIntOutput()

	if s := args.Service; s != nil {
		svc, err := NewService(ctx, s.Name, &ServiceArgs{
			Namespace:             args.Namespace,
			Name:                  s.Name,
			Type:                  s.Type,
			Selector:              args.PodLabels,
			Ports:                 []ServicePort{{Name: "http", Port: s.Port, TargetPort: args.ContainerPort, NodePort: s.NodePort}},
			ExternalTrafficPolicy: s.ExternalTrafficPolicy,
			Labels:                s.Labels,
			// Created after the Deployment is ready; a LoadBalancer is still
			// awaited for its address.
			SkipAwait: s.Type != ServiceTypeLoadBalancer,
		}, pulumi.Parent(component), pulumi.DependsOn([]pulumi.Resource{deployment}))
		if err != nil {
			return nil, err
		}
		component.Service = svc
		component.URL = svc.URL
		component.NodePort = svc.NodePort
	}

	if err := component.meshPolicies(ctx, args); err != nil {
		return nil, err
	}

	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"deploymentName": component.DeploymentName,
		"image":          component.Image,
		"url":            component.URL,
		"nodePort":       component.NodePort,
	}); err != nil {
		return nil, err
	}
	return component, nil
}

// meshPolicies open the web server to everyone on its container port, in
// a namespace that otherwise denies: mTLS PERMISSIVE (clients of a NodePort
// have no mesh identity), an ALLOW for the port, a NetworkPolicy for it.
func (c *WebServer) meshPolicies(ctx *pulumi.Context, args *WebServerArgs) error {
	m := args.Mesh
	if m == nil {
		return nil
	}
	parent := pulumi.Parent(c)
	afterCRDs := pulumi.DependsOn(args.IstioDependsOn)
	if _, err := peerAuthentication(ctx, args.Name+"-permissive", args.Name, args.Namespace, args.PodLabels, MTLSPermissive, parent, afterCRDs); err != nil {
		return err
	}
	if m.Authorization {
		if _, err := allowFrom(ctx, args.Name+"-allow", args.Name, args.Namespace, args.PodLabels, nil, []int{args.ContainerPort}, parent, afterCRDs); err != nil {
			return err
		}
	}
	if m.NetworkPolicies {
		if _, err := networkPolicy(ctx, args.Name+"-ingress", args.Name, args.Namespace, args.PodLabels,
			[]flow{{ports: []int{args.ContainerPort}}}, nil, []string{"Ingress"}, parent); err != nil {
			return err
		}
	}
	return nil
}

// rolloutTimeout makes the provider give up waiting for a rollout, so a
// rollout that can never become ready fails `up` with its reason instead of hanging.
func rolloutTimeout(seconds int) pulumi.ResourceOption {
	if seconds == 0 {
		return pulumi.Timeouts(nil)
	}
	d := fmt.Sprintf("%ds", seconds)
	return pulumi.Timeouts(&pulumi.CustomTimeouts{Create: d, Update: d})
}
