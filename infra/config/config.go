package config

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// Stack is the whole configuration of one stack, one struct per namespace.
type Stack struct {
	WebServer WebServer
	Istio     Istio
	Chain     Chain
	Telemetry Telemetry
	// RenderDir is the kubernetes provider's kubernetes:renderYamlToDirectory:
	// set, the stack is rendered to manifests instead of applied.
	RenderDir string
}

// Load reads and validates a running program's configuration.
func Load(ctx *pulumi.Context) (*Stack, error) {
	return Parse(FromContext(ctx))
}

// Parse reads every namespace from src and validates all of it. It returns
// Errors listing every refused value, or the configuration.
func Parse(src Source) (*Stack, error) {
	errs := &collector{}
	known := map[string]bool{}
	s := &Stack{
		WebServer: readWebServer(src, errs, known),
		Istio:     readIstio(src, errs, known),
		Chain:     readChain(src, errs, known),
		Telemetry: readTelemetry(src, errs, known),
	}
	checkUnknown(src.Keys, known, errs)
	s.RenderDir, _ = src.Get("kubernetes:renderYamlToDirectory")
	// Values of the wrong type were already reported; checking them again
	// against their (default) values would only add noise, so rules run on
	// what was read, and type errors and rule errors are reported together.
	s.WebServer.validate(errs)
	s.Istio.validate(errs)
	s.Chain.validate(errs)
	s.Telemetry.validate(errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return s, nil
}
