package config

import (
	"os"
	"path/filepath"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Chain is the `chain:` namespace: the sample-app hops A -> B -> C.
type Chain struct {
	Hops      []string             `json:"hops"`
	Port      int                  `json:"port"`
	Replicas  int                  `json:"replicas"`
	Resources components.Resources `json:"resources"`
	// Image is a prebuilt sample-app reference; when set nothing is built.
	Image string `json:"image"`
	// Build builds ./sample-app with pulumi-docker when Image is empty.
	Build        ChainBuild `json:"build"`
	GatewayHosts []string   `json:"gatewayHosts"`
	// TopologySpread spreads each hop's replicas over zones and nodes.
	TopologySpread bool `json:"topologySpread"`
	// RegistryPassword comes from the secret `chain:registryPassword`.
	RegistryPassword string `json:"-"`
}

// ChainBuild is `chain:build`.
type ChainBuild struct {
	Context    string `json:"context"`
	Dockerfile string `json:"dockerfile"`
	Repository string `json:"repository"`
	Platform   string `json:"platform"`
	PerHop     bool   `json:"perHop"`
	Push       bool   `json:"push"`
	Registry   struct {
		Server   string `json:"server"`
		Username string `json:"username"`
	} `json:"registry"`
}

func defaultChain() Chain {
	return Chain{
		Hops:     []string{"a", "b", "c"},
		Port:     8000,
		Replicas: 1,
		Resources: components.Resources{
			Requests: components.ResourceList{CPU: "20m", Memory: "32Mi"},
			Limits:   components.ResourceList{CPU: "500m", Memory: "128Mi"},
		},
		Build:        ChainBuild{Context: "sample-app", Repository: "sample-app"},
		GatewayHosts: []string{"*"},
	}
}

func readChain(src Source, errs *collector, known map[string]bool) Chain {
	ch := defaultChain()
	r := src.reader("chain", errs, known)
	r.strings("hops", &ch.Hops)
	r.integer("port", &ch.Port)
	r.integer("replicas", &ch.Replicas)
	r.object("resources", &ch.Resources)
	r.str("image", &ch.Image)
	r.object("build", &ch.Build)
	r.strings("gatewayHosts", &ch.GatewayHosts)
	r.boolean("topologySpread", &ch.TopologySpread)
	if pw, ok := src.secret("chain:registryPassword", errs, known); ok {
		ch.RegistryPassword = pw
	}
	ch.Build.Context = src.path(ch.Build.Context)
	if ch.Build.Dockerfile != "" {
		ch.Build.Dockerfile = src.path(ch.Build.Dockerfile)
	}
	return ch
}

// maxHopLength keeps service-<hop> within the 63 characters of a Service name.
const maxHopLength = 63 - len("service-")

func (ch Chain) validate(errs *collector) {
	c := check{namespace: "chain", errs: errs}
	if len(ch.Hops) == 0 {
		errs.add("chain:hops", "[]", "a list of at least one hop name, e.g. [a, b, c]")
	}
	seen := map[string]bool{}
	for _, hop := range ch.Hops {
		if msgs := validation.IsDNS1035Label(hop); len(msgs) > 0 || len(hop) > maxHopLength {
			errs.add("chain:hops", quote(hop), "hop names that are DNS-1035 labels of at most 55 characters (lower-case letters, digits and '-', starting with a letter), as each becomes the Service service-<hop>")
		}
		if seen[hop] {
			errs.add("chain:hops", quote(hop), "unique hop names (each hop is its own Service)")
		}
		seen[hop] = true
	}
	c.port("port", ch.Port)
	c.atLeast("replicas", ch.Replicas, 0)
	c.resources("resources", ch.Resources)
	if len(ch.GatewayHosts) == 0 {
		errs.add("chain:gatewayHosts", "[]", `at least one host, e.g. ["*"]`)
	}
	if ch.Image != "" {
		c.image("image", ch.Image)
		return
	}
	b := ch.Build
	if info, err := os.Stat(b.Context); err != nil || !info.IsDir() {
		errs.add("chain:build.context", quote(b.Context), "a directory holding sample-app's Dockerfile (or set chain:image to a prebuilt image)")
	} else {
		dockerfile := b.Dockerfile
		if dockerfile == "" {
			dockerfile = filepath.Join(b.Context, "Dockerfile")
		}
		if _, err := os.Stat(dockerfile); err != nil {
			errs.add("chain:build.dockerfile", quote(dockerfile), "an existing Dockerfile")
		}
	}
	c.repository("build.repository", b.Repository)
	if b.Push && b.Registry.Server == "" {
		errs.add("chain:build.registry.server", `""`, "the registry to push to when build.push is true (e.g. ghcr.io)")
	}
	if b.Push && b.Registry.Username != "" && ch.RegistryPassword == "" {
		errs.add("chain:registryPassword", "(unset)", "the registry password as a secret: pulumi config set --secret chain:registryPassword")
	}
}

// Args turns the namespace into the SampleChain component's arguments; the
// caller adds the mesh's namespace, gateway selector and dependencies.
func (ch Chain) Args() *components.SampleChainArgs {
	args := &components.SampleChainArgs{
		Hops:           ch.Hops,
		Port:           ch.Port,
		Replicas:       ch.Replicas,
		Resources:      ch.Resources,
		GatewayHosts:   ch.GatewayHosts,
		TopologySpread: ch.TopologySpread,
	}
	if ch.Image != "" {
		args.Image = pulumi.String(ch.Image)
		return args
	}
	b := ch.Build
	args.Build = &components.ImageBuild{
		Context: b.Context, Dockerfile: b.Dockerfile, Repository: b.Repository,
		Platform: b.Platform, PerHop: b.PerHop, Push: b.Push,
	}
	if b.Push {
		args.Build.Registry = &components.Registry{Server: b.Registry.Server, Username: b.Registry.Username}
		if ch.RegistryPassword != "" {
			args.Build.Registry.Password = pulumi.ToSecret(pulumi.String(ch.RegistryPassword)).(pulumi.StringOutput)
		}
	}
	return args
}
