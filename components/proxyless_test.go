package components_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const destinationRuleType = "kubernetes:networking.istio.io/v1:DestinationRule"

// grpcChainSpec is the tutorial's chain over proxyless gRPC.
func grpcChainSpec() components.SampleChainSpec {
	s := chainSpec()
	s.Transport = components.ChainTransportGRPC
	return s
}

// withProxyless hands the chain a mesh told of proxyless workloads, whose
// namespace does not select injection.
func withProxyless(a *components.SampleChainArgs) {
	a.Mesh.Proxyless = &components.ProxylessInjection{PodLabels: map[string]string{"sidecar.istio.io/inject": "true"}}
}

// TestIstioMeshProxylessInjection: with proxyless workloads, the app
// namespace never refuses injection, its pods wait for istiod and
// istio-cni, and the attachment says how a pod asks to be injected.
func TestIstioMeshProxylessInjection(t *testing.T) {
	tests := []struct {
		name                  string
		sidecars, proxyless   bool
		revisions             bool
		wantLabel, wantRev    interface{}
		wantInjector          int
		wantPodLabels         map[string]string
		wantProxylessAttached bool
	}{
		{name: "no injection", wantLabel: "disabled"},
		{name: "proxyless only", proxyless: true, wantInjector: 2, wantPodLabels: map[string]string{"sidecar.istio.io/inject": "true"}, wantProxylessAttached: true},
		{name: "proxyless in an injected namespace", sidecars: true, proxyless: true, wantLabel: "enabled", wantInjector: 2, wantProxylessAttached: true},
		{name: "sidecars only", sidecars: true, wantLabel: "enabled", wantInjector: 2},
		// The revision's own object webhook injects a pod labeled istio.io/rev.
		{name: "proxyless with revisions", proxyless: true, revisions: true, wantInjector: 3,
			wantPodLabels: map[string]string{"istio.io/rev": "prod-stable"}, wantProxylessAttached: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := meshArgs()
			if tt.revisions {
				args = canaryArgs("1-31-4")
			}
			args.Spec.SidecarInjection, args.ProxylessGRPC = tt.sidecars, tt.proxyless
			var attachment components.MeshAttachment
			mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
				mesh, err := components.NewIstioMesh(ctx, "istio", &args)
				if err != nil {
					return err
				}
				attachment = mesh.Attachment
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			ns := mocks.Find(t, "kubernetes:core/v1:Namespace", "playground")
			if got := ns.Get("metadata.labels.istio-injection"); got != tt.wantLabel {
				t.Errorf("app namespace istio-injection = %v, want %v", got, tt.wantLabel)
			}
			if got := ns.Get("metadata.labels.istio\\.io/rev"); got != tt.wantRev {
				t.Errorf("app namespace istio.io/rev = %v, want %v", got, tt.wantRev)
			}
			if n := len(attachment.Injector); n != tt.wantInjector {
				t.Errorf("pods wait for %d resources, want %d", n, tt.wantInjector)
			}
			if (attachment.Proxyless != nil) != tt.wantProxylessAttached {
				t.Fatalf("attachment.Proxyless = %+v, want attached %v", attachment.Proxyless, tt.wantProxylessAttached)
			}
			if attachment.Proxyless != nil && !reflect.DeepEqual(attachment.Proxyless.PodLabels, tt.wantPodLabels) {
				t.Errorf("proxyless pods opt in with %v, want %v", attachment.Proxyless.PodLabels, tt.wantPodLabels)
			}
		})
	}
}

// TestSampleChainGRPCTransport: each hop of a grpc chain calls the next
// through the xds resolver on its gRPC port, is injected with the
// grpc-agent template under restricted Pod Security, is called with
// ISTIO_MUTUAL on that port and plaintext on its HTTP port, and admits
// its predecessor on the port the chain calls it on.
func TestSampleChainGRPCTransport(t *testing.T) {
	mocks, _, err := runChain(t, grpcChainSpec(), withProxyless)
	if err != nil {
		t.Fatal(err)
	}
	crds := mocks.Find(t, "pulumi:pulumi:StackReference", "crds")
	tests := []struct {
		hop      string
		next     interface{}
		callPort string
	}{
		{"service-a", "xds:///service-b.playground.svc.cluster.local:8001", "8000"},
		{"service-b", "xds:///service-c.playground.svc.cluster.local:8001", "8001"},
		{"service-c", nil, "8001"},
	}
	for _, tt := range tests {
		d := mocks.Find(t, deploymentType, tt.hop)
		e := env(d)
		if e["TRANSPORT"] != "grpc" || e["GRPC_PORT"] != "8001" || e["NEXT"] != tt.next || e["GRPC_XDS_DIRECT"] != "true" {
			t.Errorf("%s env TRANSPORT=%v GRPC_PORT=%v NEXT=%v, want grpc 8001 %v", tt.hop, e["TRANSPORT"], e["GRPC_PORT"], e["NEXT"], tt.next)
		}
		labels := d.Get("spec.template.metadata.labels").(map[string]interface{})
		if labels["security.istio.io/tlsMode"] != "istio" || labels["sidecar.istio.io/inject"] != "true" {
			t.Errorf("%s pod labels %v, want tlsMode istio and the mesh's opt-in", tt.hop, labels)
		}
		annotations := d.Get("spec.template.metadata.annotations").(map[string]interface{})
		if annotations["inject.istio.io/templates"] != "grpc-agent" || !strings.Contains(annotations["proxy.istio.io/config"].(string), `"holdApplicationUntilProxyStarts":true`) {
			t.Errorf("%s pod annotations %v, want the grpc-agent template holding the app until it is ready", tt.hop, annotations)
		}
		if got := d.Get("spec.template.spec.containers.0.ports.1.containerPort"); got != 8001.0 {
			t.Errorf("%s container's second port = %v, want the gRPC port 8001", tt.hop, got)
		}
		proxy := d.Get("spec.template.spec.containers.1").(map[string]interface{})
		sc, _ := proxy["securityContext"].(map[string]interface{})
		if proxy["name"] != "istio-proxy" || proxy["image"] != "auto" || proxy["imagePullPolicy"] != "IfNotPresent" || sc["runAsUser"] != 1337.0 || sc["allowPrivilegeEscalation"] != false ||
			!reflect.DeepEqual(sc["capabilities"], map[string]interface{}{"drop": []interface{}{"ALL"}}) {
			t.Errorf("%s injected container stand-in = %v, want istio-proxy, image auto, restricted as user 1337", tt.hop, proxy)
		}

		svc := mocks.Find(t, "kubernetes:core/v1:Service", tt.hop)
		if got := svc.Get("spec.ports.1.name"); got != "grpc-hop" || svc.Get("spec.ports.1.port") != 8001.0 {
			t.Errorf("%s Service's second port %v %v, want grpc-hop 8001", tt.hop, got, svc.Get("spec.ports.1.port"))
		}

		dr := mocks.Find(t, destinationRuleType, tt.hop+"-destination")
		if got := dr.Get("spec.host"); got != tt.hop+".playground.svc.cluster.local" || !dr.DependsOn(crds.URN) {
			t.Errorf("%s DestinationRule host %v", tt.hop, got)
		}
		tls := map[interface{}]interface{}{}
		for _, p := range dr.Get("spec.trafficPolicy.portLevelSettings").([]interface{}) {
			m := p.(map[string]interface{})
			tls[m["port"].(map[string]interface{})["number"]] = m["tls"].(map[string]interface{})["mode"]
		}
		if want := map[interface{}]interface{}{8001.0: "ISTIO_MUTUAL", 8000.0: "DISABLE"}; !reflect.DeepEqual(tls, want) {
			t.Errorf("%s DestinationRule TLS by port %v, want %v", tt.hop, tls, want)
		}

		allow := mocks.Find(t, authzType, tt.hop+"-allow")
		if got := allow.Get("spec.rules.0.to.0.operation.ports"); !reflect.DeepEqual(got, []interface{}{tt.callPort}) {
			t.Errorf("%s allows ports %v, want %s", tt.hop, got, tt.callPort)
		}
		np := mocks.Find(t, netpolType, tt.hop)
		if got := ports(np.Get("spec.ingress.0.ports")); got != "TCP/"+tt.callPort {
			t.Errorf("%s NetworkPolicy admits %s, want TCP/%s", tt.hop, got, tt.callPort)
		}
	}
	if got := ports(mocks.Find(t, netpolType, "service-a").Get("spec.egress.0.ports")); got != "TCP/8001" {
		t.Errorf("service-a may call %s, want TCP/8001 (the next hop's gRPC port)", got)
	}
}

// TestSampleChainHTTPTransportUnchanged: the default transport registers
// no DestinationRule, no injected-container stand-in and no gRPC port.
func TestSampleChainHTTPTransportUnchanged(t *testing.T) {
	mocks, _, err := runChain(t, chainSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mocks.OfType(destinationRuleType)); n != 0 {
		t.Errorf("%d DestinationRules with the http transport", n)
	}
	d := mocks.Find(t, deploymentType, "service-a")
	if got := d.Get("spec.template.spec.containers.1"); got != nil {
		t.Errorf("http hop has a second container %v", got)
	}
	if _, ok := env(d)["TRANSPORT"]; ok {
		t.Errorf("http hop sets TRANSPORT: %v", env(d))
	}
}

// TestSampleChainGRPCNeedsAProxylessMesh: a grpc chain in a mesh not told
// of proxyless workloads is a wiring error, before any resource.
func TestSampleChainGRPCNeedsAProxylessMesh(t *testing.T) {
	mocks, _, err := runChain(t, grpcChainSpec(), nil)
	if err == nil || !strings.Contains(err.Error(), "ProxylessGRPC") {
		t.Fatalf("err = %v, want the missing proxyless wiring named", err)
	}
	if n := len(mocks.OfType(deploymentType)); n != 0 {
		t.Errorf("%d Deployments registered despite the error", n)
	}
}

// TestChainTransportRules: the transport's own values, and the mesh
// settings proxyless gRPC cannot serve, refused with the key named.
func TestChainTransportRules(t *testing.T) {
	tests := []struct {
		name     string
		chain    func(*components.SampleChainSpec)
		mesh     func(*components.IstioMeshSpec)
		wantPath string
	}{
		{"unknown transport", func(s *components.SampleChainSpec) { s.Transport = "GRPC" }, nil, "transport"},
		{"grpc port equals the http port", func(s *components.SampleChainSpec) { s.GRPCPort = s.Port }, nil, "grpcPort"},
		{"grpc port out of range", func(s *components.SampleChainSpec) { s.GRPCPort = 0 }, nil, "grpcPort"},
		{"grpc under PERMISSIVE", func(s *components.SampleChainSpec) { s.Transport = components.ChainTransportGRPC },
			func(m *components.IstioMeshSpec) { m.MTLS = components.MTLSPermissive }, "transport"},
		{"grpc port on the agent's port without sidecars", func(s *components.SampleChainSpec) {
			s.Transport, s.GRPCPort = components.ChainTransportGRPC, 15020
		}, func(m *components.IstioMeshSpec) { m.SidecarInjection = false }, "grpcPort"},
		{"http port on the agent's port without sidecars", func(s *components.SampleChainSpec) {
			s.Transport, s.Port = components.ChainTransportGRPC, 15020
		}, func(m *components.IstioMeshSpec) { m.SidecarInjection = false }, "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, mesh := chainSpec(), meshSpec()
			tt.chain(&chain)
			if tt.mesh != nil {
				tt.mesh(&mesh)
			}
			var errs field.ErrorList
			errs = append(errs, chain.Validate()...)
			errs = append(errs, components.ChainSidecarRules(chain, mesh)...)
			errs = append(errs, components.ChainTransportRules(chain, mesh)...)
			if len(errs) != 1 || errs[0].Field != tt.wantPath {
				t.Errorf("errors %v, want one at %s", errs, tt.wantPath)
			}
		})
	}
	chain, mesh := grpcChainSpec(), meshSpec()
	mesh.SidecarInjection = false
	if errs := append(append(chain.Validate(), components.ChainSidecarRules(chain, mesh)...), components.ChainTransportRules(chain, mesh)...); len(errs) != 0 {
		t.Errorf("the default grpc chain is refused: %v", errs)
	}
}

// TestAllowNothingWithProxylessWorkloads: the app namespace's default deny
// is Istio's usual empty ALLOW for Envoy, and carries one rule no caller
// can match when proxyless workloads run (istiod's gRPC generator ignores
// an ALLOW without rules).
func TestAllowNothingWithProxylessWorkloads(t *testing.T) {
	for _, proxyless := range []bool{false, true} {
		args := meshArgs()
		args.ProxylessGRPC = proxyless
		mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
			_, err := components.NewIstioMesh(ctx, "istio", &args)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		deny := mocks.Find(t, authzType, "allow-nothing")
		rules := deny.Get("spec.rules")
		switch {
		case !proxyless && rules != nil:
			t.Errorf("without proxyless workloads allow-nothing has rules %v, want Istio's empty ALLOW", rules)
		case proxyless && !reflect.DeepEqual(deny.Get("spec.rules.0.from.0.source.principals"), []interface{}{components.NobodyPrincipal}):
			t.Errorf("with proxyless workloads allow-nothing rules = %v, want one from %s only", rules, components.NobodyPrincipal)
		}
		if deny.Get("spec.action") != "ALLOW" && deny.Get("spec.action") != nil {
			t.Errorf("allow-nothing action %v", deny.Get("spec.action"))
		}
	}
}
