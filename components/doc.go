// Package components holds play-kubernetes' typed Pulumi component resources:
// WebServer, Service, IstioMesh, SampleChain and Telemetry.
//
// Every component follows Pulumi's conventions: a constructor
// NewX(ctx, name, *XArgs, ...pulumi.ResourceOption) (*X, error), a type token
// "playk8s:index:X", children parented to the component, and typed output
// fields registered with RegisterResourceOutputs.
//
// What a user asks for is a spec, one per component and config namespace
// (WebServerSpec, IstioMeshSpec, SampleChainSpec in *_spec.go; TelemetrySpec
// made of the tracing, Jaeger, Prometheus, Grafana and Kiali specs, each
// beside what it renders): JSON-tagged fields named as the config keys,
// Defaults, and one Validate returning every refused field at once. The
// specs own every rule; infra/config only decodes the keys into them and
// names the key.
//
// What one component hands another is wiring, not input: IstioMesh builds a
// MeshAttachment (namespaces, what Istio resources and pods wait for, the
// ingress gateway's identity, the per-workload policies, where spans go)
// and the others take it as their Args' Mesh field. User input travels one
// way, from the stack to the component that renders it: the tracing spec
// goes to IstioMesh, Telemetry and SampleChain each, never back out of one.
// Service takes plain Args: it is a building block of the others, never
// configured on its own.
//
// Every component is built from values: each step is a function that
// takes what it needs and returns what it registered, and the constructor
// sets the component's fields from those values once every step ran, so
// no step reads what another wrote into the component. IstioMesh's steps
// are its namespaces, releases and revision tags, security policies and
// ingress (one file each); Telemetry's are its backends (jaeger.go,
// prometheus.go, grafana.go with grafanadashboards.go, kiali.go);
// SampleChain's are the images (chainimage.go), the hops (chainhop.go) and
// the route from the ingress (chainroute.go).
// The steps are functions rather than child components: a child component
// would change every resource's URN, which existing stacks would see as
// replacements.
package components
