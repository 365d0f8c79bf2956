package components

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// SampleChainSpec is the chain as a user asks for it: the `chain:` config
// namespace, one field per key (the JSON names are the keys).
type SampleChainSpec struct {
	// Hops in call order; the tutorial's chain is a, b, c (service-a -> service-b -> service-c).
	Hops []string `json:"hops"`
	// Port every hop listens and is served on (the tutorial's 8000).
	Port int `json:"port"`
	// Transport is how each hop calls the next: http (the tutorial's) or
	// grpc (Istio's proxyless gRPC; see ChainTransportGRPC).
	Transport ChainTransport `json:"transport"`
	// GRPCPort is every hop's gRPC port with transport grpc.
	GRPCPort int `json:"grpcPort"`
	// Replicas of each hop.
	Replicas int `json:"replicas"`
	// Resources of each hop's container.
	Resources Resources `json:"resources"`
	// Image is a prebuilt sample-app reference; when set, nothing is built.
	Image string `json:"image"`
	// Build builds sample-app with pulumi-docker when Image is empty.
	Build ImageBuild `json:"build"`
	// RegistryPassword is read from a Pulumi secret: the password Build pushes with.
	RegistryPassword string `json:"registryPassword" config:"secret"`
	// GatewayHosts the Gateway and VirtualService answer for (the tutorial's "*").
	GatewayHosts []string `json:"gatewayHosts"`
	// Traffic is each hop's versions, routing and resilience, by hop name
	// (Istio's traffic management; see HopTraffic). Hops left out run as
	// one version with Istio's defaults.
	Traffic map[string]HopTraffic `json:"traffic"`
	// TopologySpread spreads each hop's replicas over zones, then nodes.
	TopologySpread bool `json:"topologySpread"`
	// Shutdown keeps a leaving hop serving until no node sends it new
	// connections, then sample-app drains its requests.
	Shutdown
}

// Defaults are the tutorial's chain: a, b, c on port 8000, built from ./sample-app.
func (s *SampleChainSpec) Defaults() {
	*s = SampleChainSpec{
		Hops:      []string{"a", "b", "c"},
		Port:      8000,
		Transport: ChainTransportHTTP,
		GRPCPort:  8001,
		Replicas:  1,
		Resources: Resources{
			Requests: ResourceList{CPU: "20m", Memory: "32Mi"},
			Limits:   ResourceList{CPU: "500m", Memory: "128Mi"},
		},
		Build:        ImageBuild{Context: "sample-app", Repository: "sample-app"},
		GatewayHosts: []string{"*"},
		Shutdown:     DefaultShutdown(),
	}
}

// ResolvePaths makes the relative build paths relative to root (the project's).
func (s *SampleChainSpec) ResolvePaths(root string) {
	for _, p := range []*string{&s.Build.Context, &s.Build.Dockerfile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
}

// maxHopLength keeps service-<hop> within the 63 characters of a Service name.
const maxHopLength = 63 - len("service-")

// Validate refuses, all at once, every value Kubernetes, Istio or the
// image build would refuse later.
func (s SampleChainSpec) Validate() field.ErrorList {
	hops := field.NewPath("hops")
	var errs field.ErrorList
	if len(s.Hops) == 0 {
		errs = append(errs, rule.Refuse(hops, s.Hops, "non-empty list (e.g. [a, b, c])")...)
	}
	seen := map[string]bool{}
	for _, hop := range s.Hops {
		if msgs := validation.IsDNS1035Label(hop); len(msgs) > 0 || len(hop) > maxHopLength {
			errs = append(errs, rule.Refuse(hops, hop, "DNS-1035 labels of at most 55 characters (each becomes the Service service-<hop>)")...)
		}
		if seen[hop] {
			errs = append(errs, rule.Refuse(hops, hop, "unique names (each hop is its own Service)")...)
		}
		seen[hop] = true
	}
	errs = append(errs, rule.Port(field.NewPath("port"), s.Port)...)
	errs = append(errs, s.validateTransport()...)
	errs = append(errs, s.validateTraffic()...)
	errs = append(errs, rule.Int32AtLeast(field.NewPath("replicas"), s.Replicas, 0)...)
	errs = append(errs, s.Resources.Validate(field.NewPath("resources"))...)
	errs = append(errs, s.Shutdown.Validate()...)
	errs = append(errs, s.validateHosts()...)
	errs = append(errs, s.validatePassword()...)
	if s.Image != "" {
		return append(errs, rule.Image(field.NewPath("image"), s.Image)...)
	}
	return append(errs, s.Build.validate(field.NewPath("build"))...)
}

// validatePassword: the registry password is read by a push that logs
// in with a username and by nothing else, so it is required there and
// refused everywhere else (a secret the user believes is in use, kept for
// nothing).
func (s SampleChainSpec) validatePassword() field.ErrorList {
	at := field.NewPath("registryPassword")
	b := s.Build
	read := s.Image == "" && b.Push && b.Registry.Username != ""
	switch {
	case read && s.RegistryPassword == "":
		return rule.Missing(at, "a secret (pulumi config set --secret chain:registryPassword) when build.push is true with a build.registry.username")
	case !read && s.RegistryPassword != "":
		return rule.Refuse(at, rule.Secret, "unset unless build.push is true with a build.registry.username and image is unset (nothing else reads it)")
	}
	return nil
}

// validateHosts refuses hosts a VirtualService cannot name: each is "*"
// or a DNS name, optionally starting with "*." (Istio's own rule).
func (s SampleChainSpec) validateHosts() field.ErrorList {
	at := field.NewPath("gatewayHosts")
	if len(s.GatewayHosts) == 0 {
		return rule.Refuse(at, s.GatewayHosts, `non-empty list (e.g. ["*"])`)
	}
	var errs field.ErrorList
	for _, h := range s.GatewayHosts {
		name := strings.TrimPrefix(h, "*.")
		if h == "*" {
			continue
		}
		if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
			errs = append(errs, rule.Refuse(at, h, "* or DNS names, optionally starting with *.")...)
		}
	}
	return errs
}

// validate refuses a build pulumi-docker could not run or push.
func (b ImageBuild) validate(at *field.Path) field.ErrorList {
	var errs field.ErrorList
	if info, err := os.Stat(b.Context); err != nil || !info.IsDir() {
		errs = append(errs, rule.Refuse(at.Child("context"), b.Context, "directory holding sample-app's Dockerfile (or set image to a prebuilt image)")...)
	} else if _, err := os.Stat(b.dockerfile()); err != nil {
		errs = append(errs, rule.Refuse(at.Child("dockerfile"), b.dockerfile(), "existing Dockerfile")...)
	}
	errs = append(errs, rule.Repository(at.Child("repository"), b.Repository)...)
	errs = append(errs, rule.Platform(at.Child("platform"), b.Platform)...)
	switch {
	case b.Push && b.Registry.Server == "":
		errs = append(errs, rule.Missing(at.Child("registry", "server"), "the registry to push to (e.g. ghcr.io) when build.push is true")...)
	case b.Push:
		errs = append(errs, rule.PushTarget(at.Child("registry", "server"), b.Registry.Server, b.Repository)...)
	}
	return errs
}
