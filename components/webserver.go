package components

import (
	"fmt"

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

// The tutorial's labels: the Deployment is app: webserver, its pods (and so
// the selector) app: nginx, and its Service run: webserver-svc.
var (
	webServerLabels        = map[string]string{"app": "webserver"}
	webServerPods          = map[string]string{"app": "nginx"}
	webServerServiceLabels = map[string]string{"run": "webserver-svc"}
)

// WebServerArgs are the arguments of a WebServer: what the user asked for,
// and the mesh it runs in.
type WebServerArgs struct {
	Spec WebServerSpec
	// Mesh is where the pods run and the policies they register: the
	// Service is reached from outside the mesh (a NodePort, like the
	// tutorial's curl), so mTLS is PERMISSIVE for these pods only, and
	// anyone may reach the container port, nothing else.
	Mesh MeshAttachment
}

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

// NewWebServer registers a WebServer: its ServiceAccount, Deployment,
// disruption budget, mesh policies and, when the spec enables one, a
// Service component selecting its pods.
func NewWebServer(ctx *pulumi.Context, name string, args *WebServerArgs, opts ...pulumi.ResourceOption) (*WebServer, error) {
	if args == nil {
		return nil, fmt.Errorf("webserver %q: args are required", name)
	}
	if errs := args.Spec.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("webserver %q: %w", name, errs.ToAggregate())
	}
	if err := args.Mesh.check(); err != nil {
		return nil, fmt.Errorf("webserver %q: %w", name, err)
	}
	component := &WebServer{}
	if err := ctx.RegisterComponentResource(WebServerToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)
	s, ns := args.Spec, args.Mesh.AppNamespace

	// Its own ServiceAccount (its mesh identity); nginx never calls the
	// Kubernetes API, so no token is mounted.
	sa, err := corev1.NewServiceAccount(ctx, s.Name, &corev1.ServiceAccountArgs{
		Metadata:                     &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(s.Name), Namespace: ns},
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	deployment, err := appsv1.NewDeployment(ctx, name, webServerDeployment(s, ns, sa, args.Mesh.PodAnnotations), parent,
		rolloutTimeout(s.TimeoutSeconds), pulumi.DependsOn(args.Mesh.Injector))
	if err != nil {
		return nil, err
	}
	if _, err := newDisruptionBudget(ctx, s.Name, ns, s.Replicas, webServerPods, parent); err != nil {
		return nil, err
	}
	exposure, err := newWebServerService(ctx, s, ns, deployment, parent)
	if err != nil {
		return nil, err
	}
	if err := webServerPolicies(ctx, s, args.Mesh, parent); err != nil {
		return nil, err
	}

	component.Deployment, component.Service = deployment, exposure
	component.DeploymentName = deployment.Metadata.Name().Elem()
	component.Image = deployment.Spec.Template().Spec().Containers().Index(pulumi.Int(0)).Image().Elem()
	component.URL, component.NodePort = pulumi.String("").ToStringOutput(), pulumi.Int(0).ToIntOutput()
	if exposure != nil {
		component.URL, component.NodePort = exposure.URL, exposure.NodePort
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

// newWebServerService registers the Service in front of the web server's
// pods in namespace ns, after its Deployment, when the spec enables one
// (nil otherwise).
func newWebServerService(ctx *pulumi.Context, s WebServerSpec, ns pulumi.StringInput, deployment *appsv1.Deployment, parent pulumi.ResourceOption) (*Service, error) {
	svc := s.Service
	if !svc.Enabled {
		return nil, nil
	}
	return NewService(ctx, svc.Name, &ServiceArgs{
		Namespace:             ns,
		Name:                  svc.Name,
		Type:                  svc.Type,
		Selector:              webServerPods,
		Ports:                 []ServicePort{{Name: "http", Port: svc.Port, TargetPort: s.ContainerPort, NodePort: svc.NodePort}},
		ExternalTrafficPolicy: svc.ExternalTrafficPolicy,
		Labels:                webServerServiceLabels,
		// Created after the Deployment is ready; a LoadBalancer is still
		// awaited for its address.
		SkipAwait: svc.Type != ServiceTypeLoadBalancer,
	}, parent, pulumi.DependsOn([]pulumi.Resource{deployment}))
}

// webServerDeployment is the nginx Deployment: restricted pods that never
// drop below the desired count during a rollout.
// meshAnnotations are the mesh's own pod annotations (MeshAttachment.PodAnnotations).
func webServerDeployment(s WebServerSpec, ns pulumi.StringInput, sa *corev1.ServiceAccount, meshAnnotations map[string]string) *appsv1.DeploymentArgs {
	container := corev1.ContainerArgs{
		Name:  pulumi.String("nginx"),
		Image: pulumi.String(s.Image),
		Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{
			Name:          pulumi.String("http"),
			ContainerPort: pulumi.Int(s.ContainerPort),
		}},
		LivenessProbe:   s.Liveness.args(s.ContainerPort),
		ReadinessProbe:  s.Readiness.args(s.ContainerPort),
		Resources:       s.Resources.args(),
		SecurityContext: restrictedContainerSecurityContext(s.ReadOnlyRootFilesystem),
		Lifecycle:       s.Shutdown.lifecycle(),
	}
	podSpec := &corev1.PodSpecArgs{
		TerminationGracePeriodSeconds: s.Shutdown.gracePeriod(),
		ServiceAccountName:            sa.Metadata.Name(),
		AutomountServiceAccountToken:  pulumi.Bool(false),
		SecurityContext:               restrictedPodSecurityContext(s.RunAsUser),
		TopologySpreadConstraints:     topologySpread(s.TopologySpread, webServerPods),
	}
	if s.ReadOnlyRootFilesystem {
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
	return &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Annotations: ownedAnnotations(),
			Name:        pulumi.String(s.Name),
			Namespace:   ns,
			Labels:      stringMap(webServerLabels),
		},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas:                pulumi.Int(s.Replicas),
			RevisionHistoryLimit:    pulumi.Int(s.RevisionHistoryLimit),
			ProgressDeadlineSeconds: optionalInt(s.ProgressDeadlineSeconds),
			Selector:                &metav1.LabelSelectorArgs{MatchLabels: stringMap(webServerPods)},
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
					Labels:      stringMap(webServerPods),
					Annotations: stringMap(mergeMaps(s.PodAnnotations, meshAnnotations, map[string]string{ChangeCauseAnnotation: s.changeCause()})),
				},
				Spec: podSpec,
			},
		},
	}
}

// webServerPolicies open the web server to everyone on its container port,
// in a namespace that otherwise denies: mTLS PERMISSIVE (clients of a
// NodePort have no mesh identity), an ALLOW for the port, a NetworkPolicy for it.
func webServerPolicies(ctx *pulumi.Context, s WebServerSpec, mesh MeshAttachment, parent pulumi.ResourceOption) error {
	afterIstioAPI := pulumi.DependsOn(mesh.IstioAPI)
	ns := mesh.AppNamespace
	if mesh.Policy.Sidecars {
		if _, err := peerAuthentication(ctx, s.Name+"-permissive", s.Name, ns, webServerPods, MTLSPermissive, parent, afterIstioAPI); err != nil {
			return err
		}
	}
	if mesh.Policy.Authorization && mesh.Policy.Sidecars {
		if _, err := allowFrom(ctx, s.Name+"-allow", s.Name, ns, webServerPods, nil, []int{s.ContainerPort}, parent, afterIstioAPI); err != nil {
			return err
		}
	}
	if mesh.Policy.NetworkPolicies {
		if _, err := networkPolicy(ctx, s.Name+"-ingress", s.Name, ns, webServerPods,
			[]flow{{ports: []int{s.ContainerPort}}}, nil, []string{"Ingress"}, parent); err != nil {
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
