package components_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	peerAuthType  = "kubernetes:security.istio.io/v1:PeerAuthentication"
	authzType     = "kubernetes:security.istio.io/v1:AuthorizationPolicy"
	netpolType    = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	namespaceType = "kubernetes:core/v1:Namespace"
	enforceLabel  = "metadata.labels.pod-security\\.kubernetes\\.io/enforce"
)

func labels(r *pulumimock.Resource) map[string]interface{} {
	m, _ := r.Get("metadata.labels").(map[string]interface{})
	return m
}

func TestIstioMeshSecurityDefaults(t *testing.T) {
	mocks, _ := runMesh(t, meshArgs())

	// Pod Security: enforced, audited and warned at the stated level per namespace.
	for ns, level := range map[string]string{"playground": "restricted", "istio-system": "restricted", "istio-cni": "privileged"} {
		l := labels(mocks.Find(t, namespaceType, ns))
		for _, mode := range []string{"enforce", "audit", "warn"} {
			if got := l["pod-security.kubernetes.io/"+mode]; got != level {
				t.Errorf("namespace %s: pod-security %s = %v, want %s", ns, mode, got, level)
			}
		}
	}
	if got := labels(mocks.Find(t, namespaceType, "playground"))["istio-injection"]; got != "enabled" {
		t.Errorf("app namespace lost its injection label: %v", got)
	}

	// istio-cni in its own namespace, between base and istiod; istiod knows.
	base := mocks.Find(t, releaseType, "istio-base")
	cni := mocks.Find(t, releaseType, "istio-cni")
	istiod := mocks.Find(t, releaseType, "istiod")
	if cni.Get("namespace") != "istio-cni" || cni.Get("chart") != "cni" || !cni.DependsOn(base.URN) {
		t.Errorf("istio-cni release: namespace %v chart %v; want istio-cni/cni after base", cni.Get("namespace"), cni.Get("chart"))
	}
	// istio-cni and istiod need only base: they install side by side.
	if istiod.DependsOn(cni.URN) || cni.DependsOn(istiod.URN) {
		t.Error("istio-cni and istiod wait for each other; neither needs the other")
	}
	if cni.Get("values.resources.limits.memory") != "256Mi" {
		t.Errorf("istio-cni has no limits: %v", cni.Get("values.resources"))
	}
	for path, want := range map[string]interface{}{
		"values.cni.enabled":                      true,
		"values.seccompProfile.type":              "RuntimeDefault",
		"values.global.proxy.seccompProfile.type": "RuntimeDefault",
		"values.meshConfig.trustDomain":           components.TrustDomain,
		"values.global.istioNamespace":            "istio-system",
	} {
		if got := istiod.Get(path); got != want {
			t.Errorf("istiod %s = %v, want %v", path, got, want)
		}
	}
	gw := mocks.Find(t, releaseType, "istio-ingressgateway")
	if got := gw.Get("values.securityContext.seccompProfile.type"); got != "RuntimeDefault" {
		t.Errorf("gateway pod seccomp = %v, want RuntimeDefault", got)
	}
	// Replacing the chart's securityContext must keep its one sysctl, or a non-root proxy cannot bind :80.
	if got := gw.Get("values.securityContext.sysctls.0.name"); got != "net.ipv4.ip_unprivileged_port_start" {
		t.Errorf("gateway pod sysctls = %v, want ip_unprivileged_port_start", gw.Get("values.securityContext.sysctls"))
	}

	// Mesh-wide STRICT mTLS: in the root namespace, no selector.
	pa := mocks.Find(t, peerAuthType, "mesh-mtls")
	if pa.Get("metadata.namespace") != "istio-system" || pa.Get("metadata.name") != "default" || pa.Get("spec.mtls.mode") != "STRICT" || pa.Get("spec.selector") != nil {
		t.Errorf("mesh PeerAuthentication: %v/%v spec %v", pa.Get("metadata.namespace"), pa.Get("metadata.name"), pa.Get("spec"))
	}
	// allow-nothing: an ALLOW policy without rules in the app namespace.
	deny := mocks.Find(t, authzType, "allow-nothing")
	if deny.Get("metadata.namespace") != "playground" || deny.Get("spec.rules") != nil || deny.Get("spec.selector") != nil {
		t.Errorf("allow-nothing: %v spec %v", deny.Get("metadata.namespace"), deny.Get("spec"))
	}
	// Istio's resources wait for the CRDs and for istiod, whose webhook
	// judges them: so destroy deletes them while istiod still answers.
	istiodRelease := mocks.Find(t, releaseType, "istiod")
	for _, r := range []*pulumimock.Resource{pa, deny} {
		if !r.DependsOn(base.URN) || !r.DependsOn(istiodRelease.URN) {
			t.Errorf("%s does not wait for the CRDs and istiod: %v", r.Name, r.DependOn)
		}
	}

	// NetworkPolicies: deny everything, then the baseline every sidecar needs.
	dd := mocks.Find(t, netpolType, "default-deny")
	if got := dd.Get("spec.policyTypes"); !reflect.DeepEqual(got, []interface{}{"Ingress", "Egress"}) || dd.Get("spec.ingress") != nil || dd.Get("spec.egress") != nil || dd.Get("spec.podSelector.matchLabels") != nil {
		t.Errorf("default-deny: %v", dd.Get("spec"))
	}
	bl := mocks.Find(t, netpolType, "mesh-baseline")
	wantEgress := []struct {
		ns    string
		ports string
	}{{"kube-system", "TCP/53 UDP/53"}, {"istio-system", "TCP/15012 TCP/4317 TCP/4318"}}
	for i, w := range wantEgress {
		rule := "spec.egress." + string(rune('0'+i))
		if got := bl.Get(rule + ".to.0.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name"); got != w.ns {
			t.Errorf("baseline egress %d goes to %v, want %s", i, got, w.ns)
		}
		if got := ports(bl.Get(rule + ".ports")); got != w.ports {
			t.Errorf("baseline egress to %s: ports %q, want %q", w.ns, got, w.ports)
		}
	}
	if got := ports(bl.Get("spec.ingress.0.ports")); got != "TCP/15020 TCP/15090" || bl.Get("spec.ingress.0.from.0.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name") != "istio-system" {
		t.Errorf("baseline ingress: %v, want metrics scraping from istio-system only", bl.Get("spec.ingress"))
	}
}

// ports renders a NetworkPolicy's ports as "TCP/53 UDP/53".
func ports(v interface{}) string {
	list, _ := v.([]interface{})
	var out []string
	for _, p := range list {
		m := p.(map[string]interface{})
		out = append(out, fmt.Sprintf("%v/%v", m["protocol"], m["port"]))
	}
	return strings.Join(out, " ")
}

// TestIstioMeshSecurityOptions: each knob adds or removes exactly its part.
func TestIstioMeshSecurityOptions(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(a *components.IstioMeshArgs)
		absent []string // "type/name" that must not be registered
		check  func(t *testing.T, m *pulumimock.Mocks)
	}{
		{name: "permissive mTLS", edit: func(a *components.IstioMeshArgs) { a.Spec.MTLS = components.MTLSPermissive },
			check: func(t *testing.T, m *pulumimock.Mocks) {
				if got := m.Find(t, peerAuthType, "mesh-mtls").Get("spec.mtls.mode"); got != "PERMISSIVE" {
					t.Errorf("mode %v", got)
				}
			}},
		{name: "no default deny", edit: func(a *components.IstioMeshArgs) { a.Spec.Authorization = false },
			absent: []string{authzType + "/allow-nothing"}},
		{name: "no network policies", edit: func(a *components.IstioMeshArgs) { a.Spec.NetworkPolicies = false },
			absent: []string{netpolType + "/default-deny", netpolType + "/mesh-baseline"}},
		{name: "no istio-cni", edit: func(a *components.IstioMeshArgs) {
			a.Spec.CNI.Enabled = false
			a.Spec.PodSecurity.App = components.PodSecurityPrivileged
		}, absent: []string{releaseType + "/istio-cni", namespaceType + "/istio-cni"},
			check: func(t *testing.T, m *pulumimock.Mocks) {
				if got := m.Find(t, releaseType, "istiod").Get("values.cni.enabled"); got != false {
					t.Errorf("istiod cni.enabled = %v without istio-cni", got)
				}
				if got := labels(m.Find(t, namespaceType, "playground"))["pod-security.kubernetes.io/enforce"]; got != "privileged" {
					t.Errorf("app namespace enforces %v", got)
				}
			}},
		{name: "topology spread", edit: func(a *components.IstioMeshArgs) { a.Spec.TopologySpread = true },
			check: func(t *testing.T, m *pulumimock.Mocks) {
				for release, app := range map[string]string{"istiod": "istiod", "istio-ingressgateway": "ingressgateway"} {
					r := m.Find(t, releaseType, release)
					key := "app"
					if release == "istio-ingressgateway" {
						key = "istio"
					}
					if r.Get("values.topologySpreadConstraints.0.topologyKey") != "topology.kubernetes.io/zone" ||
						r.Get("values.topologySpreadConstraints.1.topologyKey") != "kubernetes.io/hostname" ||
						r.Get("values.topologySpreadConstraints.0.whenUnsatisfiable") != "ScheduleAnyway" ||
						r.Get("values.topologySpreadConstraints.0.labelSelector.matchLabels."+key) != app {
						t.Errorf("%s spread: %v", release, r.Get("values.topologySpreadConstraints"))
					}
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := meshArgs()
			tt.edit(&args)
			mocks, _ := runMesh(t, args)
			for _, a := range tt.absent {
				typ, name, _ := strings.Cut(a, "/")
				for _, r := range mocks.OfType(typ) {
					if r.Name == name {
						t.Errorf("%s is registered", a)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, mocks)
			}
		})
	}
	for name, edit := range map[string]func(a *components.IstioMeshArgs){
		"restricted without istio-cni": func(a *components.IstioMeshArgs) { a.Spec.CNI.Enabled = false },
		"baseline without istio-cni": func(a *components.IstioMeshArgs) {
			a.Spec.CNI.Enabled, a.Spec.PodSecurity.App = false, components.PodSecurityBaseline
		},
	} {
		if mocks, err := runMeshErr(t, edit); err == nil || len(mocks.Resources()) != 0 {
			t.Errorf("%s: error %v with %d resources registered; want a refusal before any", name, err, len(mocks.Resources()))
		}
	}
	// Without injection no pod runs istio-init: any level will do.
	if _, err := runMeshErr(t, func(a *components.IstioMeshArgs) {
		a.Spec.CNI.Enabled, a.Spec.SidecarInjection = false, false
	}); err != nil {
		t.Errorf("a restricted app namespace without injection or istio-cni was refused: %v", err)
	}
}

// runMeshErr runs a mesh that may be refused and returns the mocks and the error.
func runMeshErr(t *testing.T, edit func(a *components.IstioMeshArgs)) (*pulumimock.Mocks, error) {
	args := meshArgs()
	edit(&args)
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		_, err := components.NewIstioMesh(ctx, "istio", &args)
		return err
	})
	return mocks, err
}

// TestSampleChainPolicies: each hop lets in exactly its caller, the
// gateway for the first and the previous hop's identity for the others,
// and may call exactly the next hop.
func TestSampleChainPolicies(t *testing.T) {
	spec := chainSpec()
	spec.TopologySpread = true
	mocks, _, err := runChain(t, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	crds := mocks.Find(t, "pulumi:pulumi:StackReference", "crds")
	tests := []struct {
		hop, principal, from, to string
	}{
		{"service-a", gatewayIdentity, "istio-system/istio=ingressgateway", "app=service-b"},
		{"service-b", "cluster.local/ns/playground/sa/service-a", "/app=service-a", "app=service-c"},
		{"service-c", "cluster.local/ns/playground/sa/service-b", "/app=service-b", ""},
	}
	for _, tt := range tests {
		allow := mocks.Find(t, authzType, tt.hop+"-allow")
		if got := allow.Get("spec.rules.0.from.0.source.principals"); !reflect.DeepEqual(got, []interface{}{tt.principal}) {
			t.Errorf("%s allows %v, want only %s", tt.hop, got, tt.principal)
		}
		if got := allow.Get("spec.rules.0.to.0.operation.ports"); !reflect.DeepEqual(got, []interface{}{"8000"}) {
			t.Errorf("%s allows ports %v, want 8000", tt.hop, got)
		}
		if allow.Get("spec.selector.matchLabels.app") != tt.hop || allow.Get("metadata.namespace") != "playground" || !allow.DependsOn(crds.URN) {
			t.Errorf("%s policy selects %v in %v", tt.hop, allow.Get("spec.selector"), allow.Get("metadata.namespace"))
		}

		np := mocks.Find(t, netpolType, tt.hop)
		from := fmt.Sprintf("%v/%s", np.Get("spec.ingress.0.from.0.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name"), matchLabels(np.Get("spec.ingress.0.from.0.podSelector.matchLabels")))
		from = strings.TrimPrefix(from, "<nil>")
		if from != tt.from || ports(np.Get("spec.ingress.0.ports")) != "TCP/8000" {
			t.Errorf("%s admits %s on %s, want %s on TCP/8000", tt.hop, from, ports(np.Get("spec.ingress.0.ports")), tt.from)
		}
		to := matchLabels(np.Get("spec.egress.0.to.0.podSelector.matchLabels"))
		if to != tt.to {
			t.Errorf("%s may call %q, want %q", tt.hop, to, tt.to)
		}

		dep := mocks.Find(t, deploymentType, tt.hop)
		if dep.Get("spec.template.spec.topologySpreadConstraints.0.labelSelector.matchLabels.app") != tt.hop {
			t.Errorf("%s spread: %v", tt.hop, dep.Get("spec.template.spec.topologySpreadConstraints"))
		}
	}
}

func matchLabels(v interface{}) string {
	m, _ := v.(map[string]interface{})
	var out []string
	for k, val := range m {
		out = append(out, fmt.Sprintf("%s=%v", k, val))
	}
	return strings.Join(out, ",")
}

// TestWebServerMeshPolicies: the tutorial's NodePort web server stays
// reachable from outside the mesh in a namespace that denies by default.
func TestWebServerMeshPolicies(t *testing.T) {
	mocks, _, _ := runWebServer(t, webServerSpec(), nil)
	pa := mocks.Find(t, peerAuthType, "webserver-permissive")
	if pa.Get("spec.mtls.mode") != "PERMISSIVE" || pa.Get("spec.selector.matchLabels.app") != "nginx" {
		t.Errorf("webserver PeerAuthentication: %v", pa.Get("spec"))
	}
	allow := mocks.Find(t, authzType, "webserver-allow")
	if allow.Get("spec.rules.0.from") != nil || !reflect.DeepEqual(allow.Get("spec.rules.0.to.0.operation.ports"), []interface{}{"8080"}) {
		t.Errorf("webserver allow: %v, want anyone on 8080 only", allow.Get("spec"))
	}
	np := mocks.Find(t, netpolType, "webserver-ingress")
	if np.Get("spec.ingress.0.from") != nil || ports(np.Get("spec.ingress.0.ports")) != "TCP/8080" || np.Get("spec.egress") != nil {
		t.Errorf("webserver network policy: %v", np.Get("spec"))
	}

	// A mesh without default deny asks for no ALLOW and no NetworkPolicy.
	open, _, _ := runWebServer(t, webServerSpec(), func(m *components.MeshAttachment) {
		m.Policy = components.WorkloadPolicy{Sidecars: true}
	})
	for _, typ := range []string{authzType, netpolType} {
		if n := len(open.OfType(typ)); n != 0 {
			t.Errorf("a web server in an open mesh registers %d %s", n, typ)
		}
	}

	// Without sidecars nothing would enforce its mesh policies: only the
	// NetworkPolicy (the CNI's) stays.
	outside, _, _ := runWebServer(t, webServerSpec(), func(m *components.MeshAttachment) {
		m.Policy = components.WorkloadPolicy{Authorization: true, NetworkPolicies: true}
	})
	for typ, want := range map[string]int{peerAuthType: 0, authzType: 0, netpolType: 1} {
		if n := len(outside.OfType(typ)); n != want {
			t.Errorf("a web server without sidecars registers %d %s, want %d", n, typ, want)
		}
	}
}
