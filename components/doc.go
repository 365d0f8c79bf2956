// Package components holds play-kubernetes' typed Pulumi component resources:
// WebServer, Service, IstioMesh, SampleChain and Telemetry.
//
// Every component follows Pulumi's conventions: a constructor
// NewX(ctx, name, *XArgs, ...pulumi.ResourceOption) (*X, error), a type token
// "playk8s:index:X", children parented to the component, and typed output
// fields registered with RegisterResourceOutputs. Args carry plain Go values
// where they shape the resource graph (counts, names, types) and Pulumi inputs
// where a value may come from another resource (namespaces, image references).
//
// Components check their own arguments defensively and return an error naming
// the argument; user-facing validation with config key names lives in
// infra/config, which reuses the typed enums and rules defined here.
package components
