package components

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	networkingv1 "istio.io/api/networking/v1"
)

// SampleChainToken is the Pulumi type token of the SampleChain component.
const SampleChainToken = "playk8s:index:SampleChain"

// SampleAppUID is the non-root user sample-app's image runs as (distroless "nonroot").
const SampleAppUID = 65532

// SampleChainArgs are the arguments of a SampleChain.
type SampleChainArgs struct {
	// Namespace of the hops, labeled for sidecar injection.
	Namespace pulumi.StringInput
	// Hops in call order; the tutorial's chain is a, b, c (service-a -> service-b -> service-c).
	Hops []string
	// Port every hop listens and is served on (the tutorial's 8000).
	Port int
	// Replicas of each hop.
	Replicas int
	// Image is a prebuilt sample-app reference; when set, nothing is built.
	Image pulumi.StringInput
	// Build builds sample-app with pulumi-docker when Image is nil.
	Build *ImageBuild
	// Resources of each hop's container.
	Resources Resources
	// GatewaySelector picks the ingress gateway pods the Gateway binds to.
	GatewaySelector map[string]string
	// GatewayNamespace and GatewayPrincipal are where the ingress gateway
	// runs and its mTLS identity: the only caller the first hop allows.
	GatewayNamespace string
	GatewayPrincipal string
	// Policy registers each hop's ALLOW AuthorizationPolicy (from the
	// previous hop's ServiceAccount only) and NetworkPolicy.
	Policy WorkloadPolicy
	// TopologySpread spreads each hop's replicas over zones, then nodes.
	TopologySpread bool
	// PodsDependOn are what each hop's Deployment waits for before its pods
	// are created: the sidecar injector (IstioMesh.Injection).
	PodsDependOn []pulumi.Resource
	// GatewayHosts the Gateway and VirtualService answer for (the tutorial's "*").
	GatewayHosts []string
	// OTLPEndpoint is where sample-app exports its own spans (OTLP/HTTP base
	// URL); empty turns export off (trace headers still propagate).
	OTLPEndpoint string
	// IstioDependsOn are what the Istio resources (Gateway, VirtualService,
	// AuthorizationPolicies) wait for: the
	// release installing Istio's CRDs. Created before it, they fail and retry.
	IstioDependsOn []pulumi.Resource
}

// ChainHop is one hop's workload.
type ChainHop struct {
	Name           string
	ServiceAccount *corev1.ServiceAccount
	Deployment     *appsv1.Deployment
	Service        *Service
}

// SampleChain is the tutorial's service-a -> service-b -> service-c behind the
// Istio ingress gateway, for any number of hops.
type SampleChain struct {
	pulumi.ResourceState

	Images         []*docker.Image
	Hops           []*ChainHop
	Gateway        *apiextensions.CustomResource
	VirtualService *apiextensions.CustomResource

	// EntryURL is the first hop's in-cluster URL (service-a:8000).
	EntryURL pulumi.StringOutput `pulumi:"entryUrl"`
	// HopURLs are every hop's in-cluster URL, in call order.
	HopURLs pulumi.StringArrayOutput `pulumi:"hopUrls"`
	// ImageRefs are the image each hop runs, in call order.
	ImageRefs pulumi.StringArrayOutput `pulumi:"imageRefs"`
}

// HopServiceName is the Service (and Deployment) name of a hop: service-<hop>.
func HopServiceName(hop string) string { return "service-" + hop }

// HopServiceType is a hop's SERVICE_TYPE, the upper-cased hop name as in the tutorial ("A").
func HopServiceType(hop string) string { return strings.ToUpper(hop) }

func (a *SampleChainArgs) check(name string) error {
	switch {
	case len(a.Hops) == 0:
		return fmt.Errorf("sample chain %q: at least one hop is required", name)
	case a.Image == nil && a.Build == nil:
		return fmt.Errorf("sample chain %q: an image reference or a build is required", name)
	case a.Port < 1 || a.Port > 65535:
		return fmt.Errorf("sample chain %q: port must be 1-65535, got %d", name, a.Port)
	case len(a.GatewaySelector) == 0:
		return fmt.Errorf("sample chain %q: a gateway selector is required", name)
	case a.Policy.Authorization && a.GatewayPrincipal == "":
		return fmt.Errorf("sample chain %q: authorization needs the gateway's principal", name)
	case a.Policy.NetworkPolicies && a.GatewayNamespace == "":
		return fmt.Errorf("sample chain %q: network policies need the gateway's namespace", name)
	}
	seen := map[string]bool{}
	for _, hop := range a.Hops {
		if seen[hop] {
			return fmt.Errorf("sample chain %q: hop %q appears twice", name, hop)
		}
		seen[hop] = true
	}
	return nil
}

// NewSampleChain registers the sample-app image build (unless a prebuilt
// image is given), a ServiceAccount, Deployment and Service per hop, and the
// Gateway and VirtualService routing the ingress to the first hop.
func NewSampleChain(ctx *pulumi.Context, name string, args *SampleChainArgs, opts ...pulumi.ResourceOption) (*SampleChain, error) {
	if args == nil {
		return nil, fmt.Errorf("sample chain %q: args are required", name)
	}
	if err := args.check(name); err != nil {
		return nil, err
	}
	component := &SampleChain{}
	if err := ctx.RegisterComponentResource(SampleChainToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)

	images, err := component.images(ctx, args, parent)
	if err != nil {
		return nil, fmt.Errorf("sample chain %q: %w", name, err)
	}

	var hopURLs pulumi.StringArray
	var imageRefs pulumi.StringArray
	for i, hop := range args.Hops {
		next := ""
		if i+1 < len(args.Hops) {
			next = fmt.Sprintf("http://%s:%d", HopServiceName(args.Hops[i+1]), args.Port)
		}
		h, err := newChainHop(ctx, hop, next, images[hop], args, parent)
		if err != nil {
			return nil, err
		}
		if err := hopPolicies(ctx, args, i, parent); err != nil {
			return nil, err
		}
		component.Hops = append(component.Hops, h)
		hopURLs = append(hopURLs, h.Service.URL)
		imageRefs = append(imageRefs, images[hop].ref)
	}

	istioOpts := []pulumi.ResourceOption{parent, pulumi.DependsOn(args.IstioDependsOn)}
	hosts := args.GatewayHosts
	if len(hosts) == 0 {
		hosts = []string{"*"}
	}
	component.Gateway, err = newIstioResource(ctx, "gateway", istioResource{
		apiVersion: "networking.istio.io/v1", kind: "Gateway", name: "gateway", namespace: args.Namespace,
		spec: &networkingv1.Gateway{
			Selector: args.GatewaySelector,
			Servers: []*networkingv1.Server{{
				Port:  &networkingv1.Port{Number: 80, Name: "http", Protocol: "HTTP"},
				Hosts: hosts,
			}},
		},
	}, istioOpts...)
	if err != nil {
		return nil, err
	}
	first := HopServiceName(args.Hops[0])
	component.VirtualService, err = newIstioResource(ctx, "virtual-service", istioResource{
		apiVersion: "networking.istio.io/v1", kind: "VirtualService", name: "virtual-service", namespace: args.Namespace,
		spec: &networkingv1.VirtualService{
			Hosts:    hosts,
			Gateways: []string{"gateway"},
			Http: []*networkingv1.HTTPRoute{{
				Route: []*networkingv1.HTTPRouteDestination{{
					Destination: &networkingv1.Destination{
						Host: first,
						Port: &networkingv1.PortSelector{Number: uint32(args.Port)},
					},
				}},
			}},
		},
	}, append(istioOpts, pulumi.DependsOn([]pulumi.Resource{component.Gateway}))...)
	if err != nil {
		return nil, err
	}

	component.EntryURL = component.Hops[0].Service.URL
	component.HopURLs = hopURLs.ToStringArrayOutput()
	component.ImageRefs = imageRefs.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"entryUrl":  component.EntryURL,
		"hopUrls":   component.HopURLs,
		"imageRefs": component.ImageRefs,
	}); err != nil {
		return nil, err
	}
	return component, nil
}

// hopImage is the image a hop runs and how the kubelet should pull it.
type hopImage struct {
	ref        pulumi.StringOutput
	pullPolicy string
}

// images resolves each hop's image: the prebuilt reference, one shared build,
// or one build per hop.
func (c *SampleChain) images(ctx *pulumi.Context, args *SampleChainArgs, parent pulumi.ResourceOption) (map[string]hopImage, error) {
	out := map[string]hopImage{}
	if args.Image != nil {
		for _, hop := range args.Hops {
			out[hop] = hopImage{ref: args.Image.ToStringOutput(), pullPolicy: "IfNotPresent"}
		}
		return out, nil
	}
	b := args.Build
	digest, err := ContextDigest(b.Context)
	if err != nil {
		return nil, err
	}
	tag := digest[:12]
	dockerfile := b.Dockerfile
	if dockerfile == "" {
		dockerfile = filepath.Join(b.Context, "Dockerfile")
	}
	var registry docker.RegistryPtrInput
	if b.Push && b.Registry != nil {
		registry = &docker.RegistryArgs{
			Server:   pulumi.String(b.Registry.Server),
			Username: optionalString(b.Registry.Username),
			Password: b.Registry.Password,
		}
	}
	build := func(resourceName, imageTag string, buildArgs map[string]string) (hopImage, error) {
		img, err := docker.NewImage(ctx, resourceName, &docker.ImageArgs{
			ImageName: pulumi.String(b.Repository + ":" + imageTag),
			Build: &docker.DockerBuildArgs{
				Context:    pulumi.String(b.Context),
				Dockerfile: pulumi.String(dockerfile),
				Args:       stringMap(buildArgs),
				Platform:   optionalString(b.Platform),
			},
			SkipPush: pulumi.Bool(!b.Push),
			Registry: registry,
		}, parent)
		if err != nil {
			return hopImage{}, err
		}
		c.Images = append(c.Images, img)
		if b.Push {
			// The digest pins exactly what was pushed.
			return hopImage{ref: img.RepoDigest, pullPolicy: "IfNotPresent"}, nil
		}
		// Built into the node's own daemon: never pull, it is not in any registry.
		return hopImage{ref: img.ImageName, pullPolicy: "Never"}, nil
	}
	if !b.PerHop {
		shared, err := build("sample-app", tag, nil)
		if err != nil {
			return nil, err
		}
		for _, hop := range args.Hops {
			out[hop] = shared
		}
		return out, nil
	}
	for _, hop := range args.Hops {
		img, err := build("sample-app-"+hop, tag+"-"+hop, map[string]string{"SERVICE_TYPE": HopServiceType(hop)})
		if err != nil {
			return nil, err
		}
		out[hop] = img
	}
	return out, nil
}

func newChainHop(ctx *pulumi.Context, hop, next string, image hopImage, args *SampleChainArgs, parent pulumi.ResourceOption) (*ChainHop, error) {
	name := HopServiceName(hop)
	labels := map[string]string{"app": name, "version": "v1"}
	h := &ChainHop{Name: hop}
	var err error
	// One ServiceAccount per hop: Istio's mTLS identity (and so any
	// AuthorizationPolicy) is the ServiceAccount.
	h.ServiceAccount, err = corev1.NewServiceAccount(ctx, name, &corev1.ServiceAccountArgs{
		Metadata:                     &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: args.Namespace},
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	env := corev1.EnvVarArray{
		corev1.EnvVarArgs{Name: pulumi.String("SERVICE_TYPE"), Value: pulumi.String(HopServiceType(hop))},
		corev1.EnvVarArgs{Name: pulumi.String("PORT"), Value: pulumi.Sprintf("%d", args.Port)},
		corev1.EnvVarArgs{Name: pulumi.String("POD_NAMESPACE"), ValueFrom: &corev1.EnvVarSourceArgs{
			FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("metadata.namespace")},
		}},
		corev1.EnvVarArgs{Name: pulumi.String("OTEL_SERVICE_NAME"), Value: pulumi.String(name)},
	}
	if next != "" {
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("NEXT"), Value: pulumi.String(next)})
	}
	if args.OTLPEndpoint != "" {
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("OTEL_EXPORTER_OTLP_ENDPOINT"), Value: pulumi.String(args.OTLPEndpoint)})
	}
	probe := func(path string) *HTTPProbe {
		return &HTTPProbe{Path: path, Port: args.Port, PeriodSeconds: 5}
	}
	h.Deployment, err = appsv1.NewDeployment(ctx, name, &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: args.Namespace, Labels: stringMap(labels)},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(args.Replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String(name)}},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: stringMap(labels),
					Annotations: pulumi.StringMap{
						"prometheus.io/scrape": pulumi.String("true"),
						"prometheus.io/port":   pulumi.Sprintf("%d", args.Port),
						"prometheus.io/path":   pulumi.String("/metrics"),
					},
				},
				Spec: &corev1.PodSpecArgs{
					TopologySpreadConstraints:    topologySpread(args.TopologySpread, map[string]string{"app": name}),
					ServiceAccountName:           h.ServiceAccount.Metadata.Name(),
					AutomountServiceAccountToken: pulumi.Bool(false),
					SecurityContext:              restrictedPodSecurityContext(SampleAppUID),
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:            pulumi.String("sample-app"),
						Image:           image.ref,
						ImagePullPolicy: pulumi.String(image.pullPolicy),
						Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{
							Name:          pulumi.String("http"),
							ContainerPort: pulumi.Int(args.Port),
						}},
						Env:             env,
						LivenessProbe:   probe("/healthz").args(),
						ReadinessProbe:  probe("/readyz").args(),
						Resources:       args.Resources.args(),
						SecurityContext: restrictedContainerSecurityContext(true),
					}},
				},
			},
		},
	}, parent, pulumi.DependsOn(args.PodsDependOn))
	if err != nil {
		return nil, err
	}
	if _, err := newDisruptionBudget(ctx, name, args.Namespace, args.Replicas, map[string]string{"app": name}, parent); err != nil {
		return nil, err
	}
	h.Service, err = NewService(ctx, name, &ServiceArgs{
		Namespace: args.Namespace,
		Type:      ServiceTypeClusterIP,
		Selector:  map[string]string{"app": name},
		// "http-" tells Istio the protocol, so the sidecars speak HTTP (and trace) on it.
		Ports:  []ServicePort{{Name: "http-web", Port: args.Port}},
		Labels: map[string]string{"app": name},
		// Created after the Deployment is ready: nothing left to wait for.
		SkipAwait: true,
	}, parent, pulumi.DependsOn([]pulumi.Resource{h.Deployment}))
	if err != nil {
		return nil, err
	}
	return h, nil
}

// hopPolicies let exactly the chain's own traffic reach hop i: from the
// ingress gateway for the first hop, from the previous hop for the others,
// by mTLS identity (AuthorizationPolicy) and by pod (NetworkPolicy), and let
// hop i call the next one.
func hopPolicies(ctx *pulumi.Context, args *SampleChainArgs, i int, parent pulumi.ResourceOption) error {
	name := HopServiceName(args.Hops[i])
	selector := map[string]string{"app": name}
	caller := peer{namespace: args.GatewayNamespace, labels: args.GatewaySelector}
	prev := ""
	if i > 0 {
		prev = HopServiceName(args.Hops[i-1])
		caller = peer{labels: map[string]string{"app": prev}}
	}
	if args.Policy.Authorization {
		_, err := newIstioResourceInNamespace(ctx, name+"-allow", istioResource{
			apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", name: name, namespace: args.Namespace,
		}, func(ns string) json.Marshaler {
			principal := args.GatewayPrincipal
			if prev != "" {
				// Each hop runs as its own ServiceAccount, named after it.
				principal = Principal(ns, prev)
			}
			return allowSpec(selector, []string{principal}, []int{args.Port})
		}, parent, pulumi.DependsOn(args.IstioDependsOn))
		if err != nil {
			return err
		}
	}
	if args.Policy.NetworkPolicies {
		var egress []flow
		if i+1 < len(args.Hops) {
			egress = []flow{{peers: []peer{{labels: map[string]string{"app": HopServiceName(args.Hops[i+1])}}}, ports: []int{args.Port}}}
		}
		if _, err := networkPolicy(ctx, name, name, args.Namespace, selector,
			[]flow{{peers: []peer{caller}, ports: []int{args.Port}}}, egress, []string{"Ingress", "Egress"}, parent); err != nil {
			return err
		}
	}
	return nil
}
