package components_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	customResourceType = "kubernetes:networking.istio.io/v1:Gateway"
	virtualServiceType = "kubernetes:networking.istio.io/v1:VirtualService"
	imageType          = "docker:index/image:Image"
)

// runChain registers a SampleChain of the spec in a test mesh, tracing
// every request unless edit changes its args.
func runChain(t *testing.T, spec components.SampleChainSpec, edit func(*components.SampleChainArgs)) (*pulumimock.Mocks, *pulumimock.Captured[[]string], error) {
	t.Helper()
	var images *pulumimock.Captured[[]string]
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		attachment, err := testAttachment(ctx)
		if err != nil {
			return err
		}
		args := components.SampleChainArgs{Spec: spec, Tracing: components.TracingSpec{Tracing: true, SamplingPercent: 100}, Mesh: attachment}
		if edit != nil {
			edit(&args)
		}
		chain, err := components.NewSampleChain(ctx, "chain", &args)
		if err != nil {
			return err
		}
		images = pulumimock.Capture[[]string](chain.ImageRefs)
		return nil
	})
	return mocks, images, err
}

func env(r *pulumimock.Resource) map[string]interface{} {
	out := map[string]interface{}{}
	list, _ := r.Get("spec.template.spec.containers.0.env").([]interface{})
	for _, e := range list {
		m := e.(map[string]interface{})
		if v, ok := m["value"]; ok {
			out[m["name"].(string)] = v
		} else {
			out[m["name"].(string)] = m["valueFrom"]
		}
	}
	return out
}

func TestSampleChainTutorialRouting(t *testing.T) {
	mocks, images, err := runChain(t, chainSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	component := mocks.Find(t, components.SampleChainToken, "chain")
	crds := mocks.Find(t, "pulumi:pulumi:StackReference", "crds")
	injector := mocks.Find(t, "pulumi:pulumi:StackReference", "injector")

	wantNext := map[string]interface{}{"a": "http://service-b:8000", "b": "http://service-c:8000", "c": nil}
	for _, hop := range []string{"a", "b", "c"} {
		name := "service-" + hop
		d := mocks.Find(t, deploymentType, name)
		if d.Parent != component.URN {
			t.Errorf("%s parent = %q", name, d.Parent)
		}
		e := env(d)
		if e["SERVICE_TYPE"] != strings.ToUpper(hop) {
			t.Errorf("%s SERVICE_TYPE = %v", name, e["SERVICE_TYPE"])
		}
		if e["NEXT"] != wantNext[hop] {
			t.Errorf("%s NEXT = %v, want %v", name, e["NEXT"], wantNext[hop])
		}
		if e["PORT"] != "8000" {
			t.Errorf("%s PORT = %v", name, e["PORT"])
		}
		if e["OTEL_EXPORTER_OTLP_ENDPOINT"] != "http://jaeger-collector.istio-system.svc.cluster.local:4318" {
			t.Errorf("%s OTLP endpoint = %v", name, e["OTEL_EXPORTER_OTLP_ENDPOINT"])
		}
		if !d.DependsOn(injector.URN) {
			t.Errorf("%s does not wait for the injector", name)
		}
		// Its Service exists before its pods, or the kubelet gives them no
		// SERVICE_<HOP>_SERVICE_HOST/PORT (env-var discovery).
		if svc := mocks.Find(t, "kubernetes:core/v1:Service", name); !d.DependsOn(svc.URN) {
			t.Errorf("%s is created before its Service: its pods would miss the discovery variables", name)
		}
		if got := d.Get("spec.template.spec.serviceAccountName"); got != name {
			t.Errorf("%s runs as ServiceAccount %v, want its own", name, got)
		}
		if got := d.Get("spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem"); got != true {
			t.Errorf("%s readOnlyRootFilesystem = %v", name, got)
		}
		svc := mocks.Find(t, "kubernetes:core/v1:Service", name)
		if svc.Get("spec.ports.0.port") != 8000.0 || svc.Get("spec.type") != "ClusterIP" {
			t.Errorf("%s Service = %v %v, want ClusterIP :8000", name, svc.Get("spec.type"), svc.Get("spec.ports.0.port"))
		}
		if got := svc.Get("spec.ports.0.name"); !strings.HasPrefix(got.(string), "http") {
			t.Errorf("%s port name %v does not tell Istio it is HTTP", name, got)
		}
	}

	gw := mocks.Find(t, customResourceType, "gateway")
	wantGateway := map[string]interface{}{
		"selector": map[string]interface{}{"istio": "ingressgateway"},
		"servers": []interface{}{map[string]interface{}{
			"port":  map[string]interface{}{"number": 80.0, "name": "http", "protocol": "HTTP"},
			"hosts": []interface{}{"*"},
		}},
	}
	if got := gw.Get("spec"); !reflect.DeepEqual(got, wantGateway) {
		t.Errorf("Gateway spec = %#v\nwant %#v", got, wantGateway)
	}
	vs := mocks.Find(t, virtualServiceType, "virtual-service")
	wantVS := map[string]interface{}{
		"hosts":    []interface{}{"*"},
		"gateways": []interface{}{"gateway"},
		"http": []interface{}{map[string]interface{}{
			"route": []interface{}{map[string]interface{}{
				"destination": map[string]interface{}{"host": "service-a", "port": map[string]interface{}{"number": 8000.0}},
			}},
		}},
	}
	if got := vs.Get("spec"); !reflect.DeepEqual(got, wantVS) {
		t.Errorf("VirtualService spec = %#v\nwant %#v", got, wantVS)
	}
	for _, r := range []*pulumimock.Resource{gw, vs} {
		if r.Get("apiVersion") != "networking.istio.io/v1" {
			t.Errorf("%s apiVersion = %v", r.Name, r.Get("apiVersion"))
		}
		// Bound to the same provider as the typed resources, not a second unversioned one.
		if r.Version != "4.25.0" {
			t.Errorf("%s asks for provider version %q, want 4.25.0", r.Name, r.Version)
		}
		if !r.DependsOn(crds.URN) {
			t.Errorf("%s does not wait for Istio's CRDs: %v", r.Name, r.DependOn)
		}
	}
	if got := images.Value(t); len(got) != 3 || got[0] != "ghcr.io/play-kubernetes/sample-app:0.1.0" {
		t.Errorf("image refs = %v", got)
	}
	if n := len(mocks.OfType(imageType)); n != 0 {
		t.Errorf("a prebuilt image must skip the build, got %d images", n)
	}
}

func TestSampleChainDisruptionBudgets(t *testing.T) {
	for _, tc := range []struct {
		replicas, want int
	}{{1, 0}, {2, 3}} {
		spec := chainSpec()
		spec.Replicas = tc.replicas
		mocks, _, err := runChain(t, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(mocks.OfType("kubernetes:policy/v1:PodDisruptionBudget")); got != tc.want {
			t.Errorf("%d replicas per hop: %d budgets, want %d", tc.replicas, got, tc.want)
		}
	}
}

func TestSampleChainLength(t *testing.T) {
	for _, hops := range [][]string{{"a"}, {"a", "b", "c", "d", "e"}, {"front", "middle", "back"}} {
		t.Run(strings.Join(hops, "-"), func(t *testing.T) {
			spec := chainSpec()
			spec.Hops = hops
			mocks, _, err := runChain(t, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(mocks.OfType(deploymentType)); got != len(hops) {
				t.Errorf("%d Deployments, want %d", got, len(hops))
			}
			last := mocks.Find(t, deploymentType, "service-"+hops[len(hops)-1])
			if _, ok := env(last)["NEXT"]; ok {
				t.Error("the last hop must not call a next one")
			}
			vs := mocks.Find(t, virtualServiceType, "virtual-service")
			if got := vs.Get("spec.http.0.route.0.destination.host"); got != "service-"+hops[0] {
				t.Errorf("ingress routes to %v, want the first hop", got)
			}
		})
	}
}

func writeContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"Dockerfile": "FROM scratch\n", "main.go": "package main\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSampleChainBuild(t *testing.T) {
	dir := writeContext(t)
	digest, err := components.ContextDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	tag := digest[:12]
	cases := []struct {
		name       string
		build      components.ImageBuild
		password   string
		wantImages map[string]string // resource name -> imageName
		wantArgs   map[string]interface{}
		wantRef    string
		wantPull   string
	}{
		{
			name:       "one local image into minikube's daemon",
			build:      components.ImageBuild{Context: dir, Repository: "sample-app"},
			wantImages: map[string]string{"sample-app": "sample-app:" + tag},
			wantRef:    "sample-app:" + tag, wantPull: "Never",
		},
		{
			name:  "per hop, the tutorial's --build-arg SERVICE_TYPE",
			build: components.ImageBuild{Context: dir, Repository: "sample-app", PerHop: true},
			wantImages: map[string]string{
				"sample-app-a": "sample-app:" + tag + "-a", "sample-app-b": "sample-app:" + tag + "-b", "sample-app-c": "sample-app:" + tag + "-c",
			},
			wantArgs: map[string]interface{}{"SERVICE_TYPE": "A"},
			wantRef:  "sample-app:" + tag + "-a", wantPull: "Never",
		},
		{
			name: "pushed to a registry, deployed by digest",
			build: components.ImageBuild{Context: dir, Repository: "ghcr.io/org/sample-app", Push: true,
				Registry: components.Registry{Server: "ghcr.io", Username: "org"}},
			password:   "pw",
			wantImages: map[string]string{"sample-app": "ghcr.io/org/sample-app:" + tag},
			wantRef:    "ghcr.io/org/sample-app@sha256:" + strings.Repeat("ab", 32), wantPull: "IfNotPresent",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := chainSpec()
			spec.Image = ""
			b := tc.build
			spec.Build, spec.RegistryPassword = b, tc.password
			mocks, images, err := runChain(t, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(mocks.OfType(imageType)); got != len(tc.wantImages) {
				t.Fatalf("%d images built, want %d", got, len(tc.wantImages))
			}
			for name, imageName := range tc.wantImages {
				img := mocks.Find(t, imageType, name)
				if got := img.Get("imageName"); got != imageName {
					t.Errorf("%s imageName = %v, want %s", name, got, imageName)
				}
				if got := img.Get("skipPush"); got != !b.Push {
					t.Errorf("%s skipPush = %v", name, got)
				}
				if got := img.Get("build.context"); got != dir {
					t.Errorf("%s context = %v", name, got)
				}
				if tc.password != "" && !img.Inputs["registry"].ObjectValue()["password"].IsSecret() {
					t.Errorf("%s registry password is not a Pulumi secret", name)
				}
			}
			if tc.wantArgs != nil {
				if got := mocks.Find(t, imageType, "sample-app-a").Get("build.args"); !reflect.DeepEqual(got, tc.wantArgs) {
					t.Errorf("build args = %v, want %v", got, tc.wantArgs)
				}
			}
			a := mocks.Find(t, deploymentType, "service-a")
			if got := a.Get("spec.template.spec.containers.0.image"); got != tc.wantRef {
				t.Errorf("service-a image = %v, want %s", got, tc.wantRef)
			}
			if got := a.Get("spec.template.spec.containers.0.imagePullPolicy"); got != tc.wantPull {
				t.Errorf("pull policy = %v, want %s", got, tc.wantPull)
			}
			if got := images.Value(t)[0]; got != tc.wantRef {
				t.Errorf("ImageRefs[0] = %v", got)
			}
		})
	}
}

func TestContextDigestFollowsContent(t *testing.T) {
	dir := writeContext(t)
	before, err := components.ContextDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := components.ContextDigest(dir)
	if before != again {
		t.Fatal("the digest of an unchanged context changed")
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main // changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, _ := components.ContextDigest(dir)
	if after == before {
		t.Fatal("a code change did not change the digest: the Deployments would not roll")
	}
	if _, err := components.ContextDigest(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing context was accepted")
	}
}

// TestContextDigestIsPinned: the digest is the image tag recorded in every
// deployed stack, so hashing the same context differently would make each
// stack show a diff and roll its Deployments. The pinned value is
// sha256 of "Dockerfile\0FROM scratch\n\0internal.go\0...": each regular
// file's slash path, NUL, bytes, NUL, in the order of the paths (internal.go
// before internal/), without .git or links. Change it only on purpose.
func TestContextDigestIsPinned(t *testing.T) {
	dir := t.TempDir()
	for rel, body := range map[string]string{
		"Dockerfile":                "FROM scratch\n",
		"main.go":                   "package main\n",
		"main_test.go":              "package main\n",
		"internal.go":               "package main\n",
		"internal/server/server.go": "package server\n",
		".git/HEAD":                 "ref: refs/heads/main\n",
	} {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("main.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	const want = "d361634544e5d5a00b1bf3993116c90acdb0c41da2ee37f55bb176609cd17b88"
	if got, err := components.ContextDigest(dir); err != nil || got != want {
		t.Errorf("ContextDigest = %s, %v; want %s: every deployed image tag would change", got, err, want)
	}
}

func TestSampleChainRefusesItsSpec(t *testing.T) {
	cases := map[string]func(*components.SampleChainSpec){
		"no hops":                       func(s *components.SampleChainSpec) { s.Hops = nil },
		"duplicate hop":                 func(s *components.SampleChainSpec) { s.Hops = []string{"a", "a"} },
		"no image, no build context":    func(s *components.SampleChainSpec) { s.Image, s.Build.Context = "", t.TempDir()+"/none" },
		"port out of range":             func(s *components.SampleChainSpec) { s.Port = 70000 },
		"a host a VirtualService can't": func(s *components.SampleChainSpec) { s.GatewayHosts = []string{"bad host"} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			spec := chainSpec()
			mutate(&spec)
			mocks, _, err := runChain(t, spec, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if n := len(mocks.OfType(deploymentType)); n != 0 {
				t.Errorf("%d Deployments registered despite the error", n)
			}
		})
	}
}

// TestSampleChainTracing: sample-app exports its spans to the mesh's
// collector exactly when the tracing spec asks for tracing.
func TestSampleChainTracing(t *testing.T) {
	for _, on := range []bool{true, false} {
		mocks, _, err := runChain(t, chainSpec(), func(a *components.SampleChainArgs) { a.Tracing.Tracing = on })
		if err != nil {
			t.Fatal(err)
		}
		_, exports := env(mocks.Find(t, deploymentType, "service-b"))["OTEL_EXPORTER_OTLP_ENDPOINT"]
		if exports != on {
			t.Errorf("tracing %v: sample-app exports spans: %v", on, exports)
		}
	}
}

// TestSampleChainFieldsHoldWhatTheyName: each resource field of
// SampleChain holds the resource its name says: the route of the mesh's
// ingress API and nothing of the other's, every build in hop order (none
// with a prebuilt image), and each hop's workload in call order.
func TestSampleChainFieldsHoldWhatTheyName(t *testing.T) {
	dir := writeContext(t)
	hops := func(names ...string) map[string]resourceID {
		out := map[string]resourceID{}
		for i, hop := range names {
			name := components.HopServiceName(hop)
			out[fmt.Sprintf("Hops[%d].ServiceAccount", i)] = resourceID{"kubernetes:core/v1:ServiceAccount", name}
			out[fmt.Sprintf("Hops[%d].Deployments[0]", i)] = resourceID{deploymentType, name}
			out[fmt.Sprintf("Hops[%d].Service", i)] = resourceID{components.ServiceToken, name}
		}
		return out
	}
	istioRoute := map[string]resourceID{"Gateway": {customResourceType, "gateway"}, "VirtualService": {virtualServiceType, "virtual-service"}}
	for _, tc := range []struct {
		name       string
		gatewayAPI bool
		hops       []string
		build      components.ImageBuild // none: the prebuilt image
		traffic    map[string]components.HopTraffic
		want       map[string]resourceID
	}{
		{
			name: "a hop of two versions: one Deployment each, in the order given", hops: []string{"a", "b"},
			traffic: map[string]components.HopTraffic{"b": {Versions: []components.HopVersion{{Name: "v2", Weight: 10}, {Name: "v1", Weight: 90}}}},
			want: mergeIDs(mergeIDs(istioRoute, hops("a")), map[string]resourceID{
				"Hops[1].ServiceAccount": {"kubernetes:core/v1:ServiceAccount", "service-b"},
				"Hops[1].Service":        {components.ServiceToken, "service-b"},
				"Hops[1].Deployments[0]": {deploymentType, "service-b-v2"},
				"Hops[1].Deployments[1]": {deploymentType, "service-b-v1"},
			}),
		},
		{
			name: "istio ingress, prebuilt image", hops: []string{"a", "b", "c"},
			want: mergeIDs(istioRoute, hops("a", "b", "c")),
		},
		{
			name: "gateway-api ingress, one build", gatewayAPI: true, hops: []string{"a"},
			build: components.ImageBuild{Context: dir, Repository: "sample-app"},
			want:  mergeIDs(hops("a"), map[string]resourceID{"HTTPRoute": {httpRouteType, "http-route"}, "Images[0]": {imageType, "sample-app"}}),
		},
		{
			name: "one build per hop", hops: []string{"a", "b"},
			build: components.ImageBuild{Context: dir, Repository: "sample-app", PerHop: true},
			want: mergeIDs(mergeIDs(istioRoute, hops("a", "b")),
				map[string]resourceID{"Images[0]": {imageType, "sample-app-a"}, "Images[1]": {imageType, "sample-app-b"}}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := chainSpec()
			spec.Hops, spec.Traffic = tc.hops, tc.traffic
			if tc.build.Context != "" {
				spec.Image, spec.Build = "", tc.build
			}
			var got map[string]*pulumimock.Captured[pulumi.URN]
			var names []string
			mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
				attachment, err := testAttachment(ctx)
				if err != nil {
					return err
				}
				if tc.gatewayAPI {
					gateway, err := pulumi.NewStackReference(ctx, "gateway", nil)
					if err != nil {
						return err
					}
					gatewayAPIAttachment(gateway)(&attachment)
				}
				chain, err := components.NewSampleChain(ctx, "chain", &components.SampleChainArgs{Spec: spec, Mesh: attachment})
				if err != nil {
					return err
				}
				fields := map[string]pulumi.Resource{}
				for field, r := range map[string]*apiextensions.CustomResource{"Gateway": chain.Gateway, "VirtualService": chain.VirtualService, "HTTPRoute": chain.HTTPRoute} {
					if r != nil {
						fields[field] = r
					}
				}
				for i, img := range chain.Images {
					fields[fmt.Sprintf("Images[%d]", i)] = img
				}
				for i, h := range chain.Hops {
					names = append(names, h.Name)
					fields[fmt.Sprintf("Hops[%d].ServiceAccount", i)] = h.ServiceAccount
					for j, d := range h.Deployments {
						fields[fmt.Sprintf("Hops[%d].Deployments[%d]", i, j)] = d
					}
					fields[fmt.Sprintf("Hops[%d].Service", i)] = h.Service
				}
				got = captureURNs(fields)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, tc.hops) {
				t.Errorf("hops are named %v, want %v", names, tc.hops)
			}
			checkFieldsHold(t, mocks, got, tc.want)
		})
	}
}
