package config

import (
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Stack is the whole configuration of one stack: one component spec per
// config namespace.
type Stack struct {
	WebServer components.WebServerSpec
	Istio     components.IstioMeshSpec
	Chain     components.SampleChainSpec
	Telemetry components.TelemetrySpec
	// RenderDir is the kubernetes provider's kubernetes:renderYamlToDirectory:
	// set, the stack is rendered to manifests instead of applied.
	RenderDir string
	// Cluster are the kubernetes provider's keys that pick its cluster
	// (kubernetes:kubeconfig, kubernetes:context), where set: the program
	// checks ownership in the cluster the provider will change.
	Cluster map[string]string
}

// clusterKeys are the kubernetes provider's keys that pick its cluster.
var clusterKeys = []string{"kubernetes:kubeconfig", "kubernetes:context"}

// spec is what every component spec is: defaults, then validation.
type spec interface {
	Defaults()
	Validate() field.ErrorList
}

// namespace binds a config namespace to the spec its keys decode into.
type namespace struct {
	name string
	spec spec
}

// namespaces are the config namespaces of a stack, each with its spec.
func (s *Stack) namespaces() []namespace {
	return []namespace{
		{"webserver", &s.WebServer},
		{"istio", &s.Istio},
		{"chain", &s.Chain},
		{"telemetry", &s.Telemetry},
	}
}

// Load reads and validates a running program's configuration.
func Load(ctx *pulumi.Context) (*Stack, error) {
	return Parse(FromContext(ctx))
}

// Parse reads every namespace from src and validates all of it. It returns
// Errors listing every refused value, or the configuration.
func Parse(src Source) (*Stack, error) {
	s := &Stack{}
	errs := &collector{}
	known := map[string]bool{}
	for _, ns := range s.namespaces() {
		ns.spec.Defaults()
		for _, k := range keysOf(ns.name, ns.spec) {
			known[k.name] = true
			k.read(src, errs)
		}
		if r, ok := ns.spec.(interface{ ResolvePaths(root string) }); ok {
			r.ResolvePaths(src.RootDir)
		}
	}
	checkUnknown(src.Keys, known, errs)
	s.RenderDir, _ = src.Get("kubernetes:renderYamlToDirectory")
	s.Cluster = map[string]string{}
	for _, k := range clusterKeys {
		if v, ok := src.Get(k); ok {
			s.Cluster[k] = v
		}
	}
	// A value of the wrong type was reported and left at its default, so
	// the rules below judge what was read: type and rule errors come together.
	for _, ns := range s.namespaces() {
		errs.addAll(ns.name, ns.spec.Validate())
	}
	errs.addAll("webserver", components.WebServerCollisions(s.WebServer, s.Istio, s.Chain))
	errs.addAll("webserver", components.WebServerSidecarRules(s.WebServer, s.Istio))
	errs.addAll("chain", components.ChainSidecarRules(s.Chain, s.Istio))
	errs.addAll("chain", components.ChainTransportRules(s.Chain, s.Istio))
	errs.addAll("chain", components.GatewayHostRules(s.Chain.GatewayHosts, s.Istio.Ingress.API))
	errs.addAll("chain", components.ChainTrafficRules(s.Chain, s.Istio.Ingress.API))
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}
