// Package pulumimock runs a Pulumi program under pulumi.WithMocks with a
// mock that answers like the real providers where the program reads their
// answers (assigned cluster IPs and node ports, load balancer addresses,
// Helm release status, image digests, generated passwords), and records
// every registered resource for assertions.
package pulumimock

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one registered resource as the engine would see it.
type Resource struct {
	Type     string
	Name     string
	URN      string
	Custom   bool
	Parent   string // parent URN
	Inputs   resource.PropertyMap
	DependOn []string // dependency URNs (explicit and through inputs)
	// CreateTimeout and UpdateTimeout are the customTimeouts option ("" when unset).
	CreateTimeout, UpdateTimeout string
	// Version is the provider version the resource asked for ("" for none).
	Version string
	// State is what the mock answered.
	State resource.PropertyMap
}

// Mocks records resources and answers like the providers the stack uses.
type Mocks struct {
	mu        sync.Mutex
	resources []*Resource
	nodePort  int
	ipCounter int
}

// Run runs program under mocks with the given stack configuration (full
// keys, values as Pulumi passes them: scalars as text, objects as JSON) and
// returns the recorded resources and the program's error.
func Run(t testing.TB, config map[string]string, program pulumi.RunFunc) (*Mocks, error) {
	t.Helper()
	raw, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(raw))
	t.Setenv(pulumi.EnvConfigSecretKeys, "[]")
	m := &Mocks{nodePort: 30000}
	err = pulumi.RunErr(program, pulumi.WithMocks(projectName, stackName, m))
	return m, err
}

// RunWithSecrets is Run with some keys marked as secrets.
func RunWithSecrets(t testing.TB, config map[string]string, secretKeys []string, program pulumi.RunFunc) (*Mocks, error) {
	t.Helper()
	keys, _ := json.Marshal(secretKeys)
	raw, _ := json.Marshal(config)
	t.Setenv(pulumi.EnvConfig, string(raw))
	t.Setenv(pulumi.EnvConfigSecretKeys, string(keys))
	m := &Mocks{nodePort: 30000}
	err := pulumi.RunErr(program, pulumi.WithMocks(projectName, stackName, m))
	return m, err
}

// NewResource implements pulumi.MockResourceMonitor.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	state := args.Inputs.Copy()
	id := args.Name + "-id"
	switch args.TypeToken {
	case "kubernetes:core/v1:Service":
		m.serviceState(state)
	case "kubernetes:helm.sh/v3:Release":
		releaseState(args.Name, state)
	case "docker:index/image:Image":
		name := state["imageName"].StringValue()
		repo, _, _ := strings.Cut(name, ":")
		state["repoDigest"] = resource.NewProperty(repo + "@sha256:" + strings.Repeat("ab", 32))
	case "random:index/randomPassword:RandomPassword":
		state["result"] = resource.MakeSecret(resource.NewProperty("mock-generated-password"))
	case "kubernetes:gateway.networking.k8s.io/v1:Gateway":
		// As istiod reports a provisioned LoadBalancer's address.
		state["status"] = resource.NewProperty(resource.PropertyMap{
			"addresses": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
				"type": resource.NewProperty("IPAddress"), "value": resource.NewProperty("203.0.113.8"),
			})}),
		})
	}
	if strings.HasPrefix(args.TypeToken, "kubernetes:") {
		withMetadataName(args.Name, state)
	}
	rec := &Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs,
		State:  state,
	}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.DependOn = rpc.GetDependencies()
		rec.Version = rpc.GetVersion()
		if ct := rpc.GetCustomTimeouts(); ct != nil {
			rec.CreateTimeout, rec.UpdateTimeout = ct.GetCreate(), ct.GetUpdate()
		}
	}
	rec.URN = urnOf(rec.Parent, args.TypeToken, args.Name)
	m.resources = append(m.resources, rec)
	return id, state, nil
}

// urnOf computes a resource's URN the way the mock monitor does.
func urnOf(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stackName), tokens.PackageName(projectName), parentType, tokens.Type(typ), name))
}

// The project and stack every mocked run uses (Project, Stack: for
// tests that need what the program derives from them).
const (
	projectName = "play-kubernetes"
	stackName   = "test"

	Project = projectName
	Stack   = stackName
)

// Call implements pulumi.MockResourceMonitor; the stack makes no calls.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected call %s", args.Token)
}

// serviceState assigns what the apiserver and a cloud would: a cluster IP,
// node ports for NodePort and LoadBalancer, and a load balancer address.
// The addresses are documentation ranges (RFC 5737); nothing dials them.
func (m *Mocks) serviceState(state resource.PropertyMap) {
	spec := objectField(state, "spec")
	typ := "ClusterIP"
	if v, ok := spec["type"]; ok && v.IsString() {
		typ = v.StringValue()
	}
	if typ != "ExternalName" {
		m.ipCounter++
		spec["clusterIP"] = resource.NewProperty(fmt.Sprintf("192.0.2.%d", m.ipCounter))
	}
	if typ == "NodePort" || typ == "LoadBalancer" {
		if ports, ok := spec["ports"]; ok && ports.IsArray() {
			assigned := make([]resource.PropertyValue, len(ports.ArrayValue()))
			for i, p := range ports.ArrayValue() {
				port := p.ObjectValue().Copy()
				if np, ok := port["nodePort"]; !ok || np.IsNull() {
					m.nodePort++
					port["nodePort"] = resource.NewProperty(float64(m.nodePort))
				}
				assigned[i] = resource.NewProperty(port)
			}
			spec["ports"] = resource.NewProperty(assigned)
		}
	}
	if typ == "LoadBalancer" {
		state["status"] = resource.NewProperty(resource.PropertyMap{
			"loadBalancer": resource.NewProperty(resource.PropertyMap{
				"ingress": resource.NewProperty([]resource.PropertyValue{
					resource.NewProperty(resource.PropertyMap{"ip": resource.NewProperty("203.0.113.7")}),
				}),
			}),
		})
	}
}

// releaseState answers like a deployed Helm release.
func releaseState(name string, state resource.PropertyMap) {
	relName := name
	if v, ok := state["name"]; ok && v.IsString() {
		relName = v.StringValue()
	}
	ns := "default"
	if v, ok := state["namespace"]; ok && v.IsString() {
		ns = v.StringValue()
	}
	chart := ""
	if v, ok := state["chart"]; ok && v.IsString() {
		chart = v.StringValue()
	}
	version := "0.0.0-local"
	if v, ok := state["version"]; ok && v.IsString() {
		version = v.StringValue()
	}
	state["status"] = resource.NewProperty(resource.PropertyMap{
		"name":       resource.NewProperty(relName),
		"namespace":  resource.NewProperty(ns),
		"revision":   resource.NewProperty(1.0),
		"status":     resource.NewProperty("deployed"),
		"chart":      resource.NewProperty(chart),
		"version":    resource.NewProperty(version),
		"appVersion": resource.NewProperty(version),
	})
}

// withMetadataName auto-names a Kubernetes object the way the provider does
// when the program gives no metadata.name.
func withMetadataName(name string, state resource.PropertyMap) {
	md := objectField(state, "metadata")
	if v, ok := md["name"]; !ok || v.IsNull() || (v.IsString() && v.StringValue() == "") {
		md["name"] = resource.NewProperty(name + "-abc123")
	}
}

// objectField is state's object at key, copied into state first: state is
// a shallow copy of the inputs, whose nested objects must stay as the
// program gave them.
func objectField(state resource.PropertyMap, key resource.PropertyKey) resource.PropertyMap {
	obj := resource.PropertyMap{}
	if v, ok := state[key]; ok && v.IsObject() {
		obj = v.ObjectValue().Copy()
	}
	state[key] = resource.NewProperty(obj)
	return obj
}

// Resources returns every recorded resource, sorted by type then name.
func (m *Mocks) Resources() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]*Resource(nil), m.resources...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Find returns the resource of a type and name, or fails the test.
func (m *Mocks) Find(t testing.TB, typ, name string) *Resource {
	t.Helper()
	for _, r := range m.Resources() {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s named %q was registered; registered: %v", typ, name, m.Summary())
	return nil
}

// OfType returns every resource of a type.
func (m *Mocks) OfType(typ string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Summary lists "type::name" of every resource, for failure messages.
func (m *Mocks) Summary() []string {
	var out []string
	for _, r := range m.Resources() {
		out = append(out, r.Type+"::"+r.Name)
	}
	return out
}

// Get walks a dotted path ("spec.template.spec.containers.0.image") through
// the resource's inputs and returns the plain Go value there (secrets are
// unwrapped), or nil when the path does not exist.
func (r *Resource) Get(path string) interface{} {
	return getPath(resource.NewProperty(r.Inputs), path)
}

// StateGet is Get over what the mock answered.
func (r *Resource) StateGet(path string) interface{} {
	return getPath(resource.NewProperty(r.State), path)
}

// DependsOn reports whether r depends on the resource with the given URN.
func (r *Resource) DependsOn(urn string) bool {
	for _, d := range r.DependOn {
		if d == urn {
			return true
		}
	}
	return false
}

func getPath(v resource.PropertyValue, path string) interface{} {
	if path != "" {
		for _, part := range splitPath(path) {
			for v.IsSecret() {
				v = v.SecretValue().Element
			}
			switch {
			case v.IsObject():
				next, ok := v.ObjectValue()[resource.PropertyKey(part)]
				if !ok {
					return nil
				}
				v = next
			case v.IsArray():
				var i int
				if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(v.ArrayValue()) {
					return nil
				}
				v = v.ArrayValue()[i]
			default:
				return nil
			}
		}
	}
	return plain(v)
}

// splitPath splits a dotted path; `\.` is a dot inside a key, as in
// metadata.labels.kubernetes\.io/metadata\.name.
func splitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(parts, cur.String())
}

func plain(v resource.PropertyValue) interface{} {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsComputed() || v.IsOutput() && !v.OutputValue().Known {
		return nil
	}
	if v.IsOutput() {
		v = v.OutputValue().Element
	}
	return v.Mappable()
}

// Captured is an output's value, delivered once the output resolves.
type Captured[T any] struct {
	ch chan T
}

// Capture follows an output; read it with Value after Run returns. (The
// program may return before every apply has run, so Value waits.)
func Capture[T any](out pulumi.Output) *Captured[T] {
	c := &Captured[T]{ch: make(chan T, 1)}
	out.ApplyT(func(x T) T {
		c.ch <- x
		return x
	})
	return c
}

// Value waits for the output's value, failing the test if it never resolves.
func (c *Captured[T]) Value(t testing.TB) T {
	t.Helper()
	select {
	case v := <-c.ch:
		c.ch <- v // keep it for the next reader
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("output never resolved")
		var zero T
		return zero
	}
}
