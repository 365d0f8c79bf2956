package components

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SampleChainToken is the Pulumi type token of the SampleChain component.
const SampleChainToken = "playk8s:index:SampleChain"

// SampleChainArgs are the arguments of a SampleChain: what the user asked
// for, and the mesh it runs in.
type SampleChainArgs struct {
	Spec SampleChainSpec
	// Tracing is the telemetry spec's tracing: with it on, the hops export
	// their spans to the mesh's collector.
	Tracing TracingSpec
	// Mesh is where the hops run, what their pods wait for, the ingress
	// gateway the first hop is reached through and the only caller it
	// allows, the policies each hop registers, and where spans go.
	Mesh MeshAttachment
}

// SampleChain is the tutorial's service-a -> service-b -> service-c behind the
// Istio ingress gateway, for any number of hops.
type SampleChain struct {
	pulumi.ResourceState

	Images []*docker.Image
	Hops   []*ChainHop
	// Gateway and VirtualService route the ingress to the first hop with
	// Istio's own API, HTTPRoute with the Gateway API.
	Gateway        *apiextensions.CustomResource
	VirtualService *apiextensions.CustomResource
	HTTPRoute      *apiextensions.CustomResource

	// EntryURL is the first hop's in-cluster URL (service-a:8000).
	EntryURL pulumi.StringOutput `pulumi:"entryUrl"`
	// HopNames are the hops in call order (a, b, c).
	HopNames pulumi.StringArrayOutput `pulumi:"hopNames"`
	// HopURLs are every hop's in-cluster URL, in call order.
	HopURLs pulumi.StringArrayOutput `pulumi:"hopUrls"`
	// ImageRefs are the image each hop runs, in call order.
	ImageRefs pulumi.StringArrayOutput `pulumi:"imageRefs"`
	// Transport is how the hops call each other (http, grpc).
	Transport pulumi.StringOutput `pulumi:"transport"`
	// GRPCPort is the hops' gRPC port (0 with the http transport).
	GRPCPort pulumi.IntOutput `pulumi:"grpcPort"`
	// Versions are the configured weights of each hop run in versions,
	// with how many header routes come before them: hop -> {weights:
	// {version: percent}, headerRoutes: n}. Empty without versions.
	Versions pulumi.MapOutput `pulumi:"versions"`
	// HasVersions says whether any hop runs in versions (the stack exports
	// Versions only then).
	HasVersions bool
}

// HopServiceName is the Service (and Deployment) name of a hop: service-<hop>.
func HopServiceName(hop string) string { return "service-" + hop }

// HopServiceType is a hop's SERVICE_TYPE, the upper-cased hop name as in the tutorial ("A").
func HopServiceType(hop string) string { return strings.ToUpper(hop) }

// NewSampleChain registers the sample-app image build (unless a prebuilt
// image is given), a ServiceAccount, Deployment, Service and policies per
// hop, and the route from the ingress to the first hop. Each step is a
// function that returns what it registered; the component's fields are
// set from those values once every step ran.
func NewSampleChain(ctx *pulumi.Context, name string, args *SampleChainArgs, opts ...pulumi.ResourceOption) (*SampleChain, error) {
	if args == nil {
		return nil, fmt.Errorf("sample chain %q: args are required", name)
	}
	if errs := append(args.Spec.Validate(), args.Tracing.Validate()...); len(errs) > 0 {
		return nil, fmt.Errorf("sample chain %q: %w", name, errs.ToAggregate())
	}
	if err := args.Mesh.check(); err != nil {
		return nil, fmt.Errorf("sample chain %q: %w", name, err)
	}
	if args.Spec.Transport == ChainTransportGRPC && args.Mesh.Proxyless == nil {
		return nil, fmt.Errorf("sample chain %q: transport grpc needs a mesh told of proxyless workloads (IstioMeshArgs.ProxylessGRPC)", name)
	}
	if errs := GatewayHostRules(args.Spec.GatewayHosts, args.Mesh.Gateway.API); len(errs) > 0 {
		return nil, fmt.Errorf("sample chain %q: %w", name, errs.ToAggregate())
	}
	if errs := ChainTrafficRules(args.Spec, args.Mesh.Gateway.API); len(errs) > 0 {
		return nil, fmt.Errorf("sample chain %q: %w", name, errs.ToAggregate())
	}
	component := &SampleChain{}
	if err := ctx.RegisterComponentResource(SampleChainToken, name, component, opts...); err != nil {
		return nil, err
	}
	for _, msg := range args.Spec.ProxylessIgnored() {
		// A warning in preview and up: the setting is valid, and Envoy callers act on it.
		if err := ctx.Log.Warn(msg, &pulumi.LogArgs{Resource: component}); err != nil {
			return nil, err
		}
	}
	parent := pulumi.Parent(component)
	s := args.Spec

	images, err := newSampleAppImages(ctx, s, parent)
	if err != nil {
		return nil, fmt.Errorf("sample chain %q: %w", name, err)
	}
	// With tracing off, the hops export nothing.
	spansTo := ""
	if args.Tracing.Tracing {
		spansTo = args.Mesh.Collector.OTLPHTTPEndpoint()
	}
	var hops []*ChainHop
	var hopURLs, imageRefs pulumi.StringArray
	for i, hop := range s.Hops {
		h, err := newChainHop(ctx, s, i, images.byHop[hop], args.Mesh, spansTo, parent)
		if err != nil {
			return nil, err
		}
		if err := hopPolicies(ctx, s, i, args.Mesh, parent); err != nil {
			return nil, err
		}
		if err := newHopTrafficRules(ctx, s, i, args.Mesh, parent); err != nil {
			return nil, err
		}
		hops = append(hops, h)
		hopURLs = append(hopURLs, h.Service.URL)
		imageRefs = append(imageRefs, images.byHop[hop].ref)
	}
	route, err := newChainRoute(ctx, s, args.Mesh, parent)
	if err != nil {
		return nil, err
	}

	component.Images, component.Hops = images.builds, hops
	component.Gateway, component.VirtualService, component.HTTPRoute = route.gateway, route.virtualService, route.httpRoute
	component.EntryURL = hops[0].Service.URL
	component.HopNames = pulumi.ToStringArray(s.Hops).ToStringArrayOutput()
	component.HopURLs = hopURLs.ToStringArrayOutput()
	component.ImageRefs = imageRefs.ToStringArrayOutput()
	component.Transport = pulumi.String(string(s.Transport)).ToStringOutput()
	grpcPort := 0
	if s.Transport == ChainTransportGRPC {
		grpcPort = s.GRPCPort
	}
	component.GRPCPort = pulumi.Int(grpcPort).ToIntOutput()
	versions := s.versionWeights()
	component.Versions, component.HasVersions = versions.ToMapOutput(), len(versions) > 0
	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"entryUrl":  component.EntryURL,
		"hopNames":  component.HopNames,
		"hopUrls":   component.HopURLs,
		"imageRefs": component.ImageRefs,
		"transport": component.Transport,
		"grpcPort":  component.GRPCPort,
		"versions":  component.Versions,
	}); err != nil {
		return nil, err
	}
	return component, nil
}
