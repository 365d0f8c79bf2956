package components_test

import (
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const (
	kubeGatewayType = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	httpRouteType   = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	crdType         = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
)

func gatewayAPIMeshArgs() components.IstioMeshArgs {
	args := meshArgs()
	args.Spec.Ingress.API = components.IngressAPIGateway
	return args
}

// overlay decodes one of the Gateway's infrastructure options.
func overlay(t *testing.T, options *pulumimock.Resource, key string) map[string]interface{} {
	t.Helper()
	raw, _ := options.Get("data." + key).(string)
	out := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(raw), &out); err != nil || len(out) == 0 {
		t.Fatalf("options %s = %q: %v", key, raw, err)
	}
	return out
}

func TestIstioMeshGatewayAPI(t *testing.T) {
	args := gatewayAPIMeshArgs()
	args.Spec.Ingress.NodeSelector = map[string]string{"node-role.kubernetes.io/ingress": ""}
	args.Spec.Ingress.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "ingress", Effect: corev1.TaintEffectNoSchedule}}
	args.Spec.Ingress.Replicas = 2
	var attachment components.MeshAttachment
	var url, api *pulumimock.Captured[string]
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		mesh, err := components.NewIstioMesh(ctx, "istio", &args)
		if err == nil {
			attachment = mesh.Attachment
			url = pulumimock.Capture[string](mesh.IngressURL)
			api = pulumimock.Capture[string](mesh.IngressAPI)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	component := mocks.Find(t, components.IstioMeshToken, "istio")

	// istiod provisions the gateway: no gateway chart.
	for _, r := range mocks.OfType(releaseType) {
		if r.Name == components.GatewayReleaseName {
			t.Error("the gateway chart is installed with the Gateway API ingress")
		}
	}

	// The standard channel's CRDs, parented to the mesh, before istiod.
	istiod := mocks.Find(t, releaseType, "istiod")
	crds := mocks.OfType(crdType)
	if len(crds) < 5 {
		t.Fatalf("%d Gateway API CRDs registered", len(crds))
	}
	gatewaysCRD := mocks.Find(t, crdType, "gateways.gateway.networking.k8s.io")
	if gatewaysCRD.Parent != component.URN || gatewaysCRD.Get("spec.group") != "gateway.networking.k8s.io" {
		t.Errorf("gateways CRD: parent %s, group %v", gatewaysCRD.Parent, gatewaysCRD.Get("spec.group"))
	}
	if got := gatewaysCRD.Get(`metadata.annotations.gateway\.networking\.k8s\.io/channel`); got != "standard" {
		t.Errorf("gateways CRD channel = %v", got)
	}
	for _, crd := range crds {
		if !istiod.DependsOn(crd.URN) {
			t.Errorf("istiod does not wait for CRD %s", crd.Name)
		}
	}
	mocks.Find(t, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "validatingadmissionpolicy-safe-upgrades.gateway.networking.k8s.io")

	// The Gateway: class istio, one HTTP listener for the app namespace's
	// routes, its options, awaited until istiod programmed it.
	gw := mocks.Find(t, kubeGatewayType, "ingress-gateway")
	options := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "ingress-options")
	for path, want := range map[string]interface{}{
		"metadata.name":                                  "ingress",
		"metadata.namespace":                             "istio-system",
		`metadata.annotations.pulumi\.com/waitFor`:       "condition=Programmed",
		"spec.gatewayClassName":                          "istio",
		"spec.listeners.0.name":                          "http",
		"spec.listeners.0.port":                          80.0,
		"spec.listeners.0.protocol":                      "HTTP",
		"spec.listeners.0.allowedRoutes.namespaces.from": "Selector",
		`spec.listeners.0.allowedRoutes.namespaces.selector.matchLabels.kubernetes\.io/metadata\.name`: "playground",
		"spec.infrastructure.parametersRef.kind":                                                       "ConfigMap",
		"spec.infrastructure.parametersRef.name":                                                       "ingress-options",
	} {
		if got := gw.Get(path); got != want {
			t.Errorf("Gateway %s = %v, want %v", path, got, want)
		}
	}
	for _, dep := range []*pulumimock.Resource{options, istiod, gatewaysCRD} {
		if !gw.DependsOn(dep.URN) {
			t.Errorf("the Gateway does not wait for %s", dep.Name)
		}
	}

	// The options carry the ingress spec to what istiod provisions.
	deployment := overlay(t, options, "deployment")
	spec := deployment["spec"].(map[string]interface{})
	pod := spec["template"].(map[string]interface{})["spec"].(map[string]interface{})
	if spec["replicas"] != 2.0 {
		t.Errorf("deployment overlay replicas = %v", spec["replicas"])
	}
	proxy := pod["containers"].([]interface{})[0].(map[string]interface{})
	if proxy["name"] != "istio-proxy" || proxy["resources"].(map[string]interface{})["limits"].(map[string]interface{})["memory"] != "512Mi" {
		t.Errorf("deployment overlay container = %v", proxy)
	}
	if _, ok := pod["nodeSelector"].(map[string]interface{})["node-role.kubernetes.io/ingress"]; !ok {
		t.Errorf("deployment overlay nodeSelector = %v", pod["nodeSelector"])
	}
	if tol := pod["tolerations"].([]interface{}); len(tol) != 1 || tol[0].(map[string]interface{})["value"] != "ingress" {
		t.Errorf("deployment overlay tolerations = %v", pod["tolerations"])
	}
	// The node port is held by the stack's own Service, the one the istio
	// ingress API uses too (a switch updates its selector): what istiod
	// provisions stays ClusterIP.
	service := overlay(t, options, "service")["spec"].(map[string]interface{})
	if service["type"] != "ClusterIP" || service["ports"] != nil {
		t.Errorf("service overlay = %v, want type ClusterIP and no node port", service)
	}
	front := mocks.Find(t, "kubernetes:core/v1:Service", components.GatewayReleaseName)
	for path, want := range map[string]interface{}{
		"spec.type":             "NodePort",
		"spec.ports.0.port":     80.0,
		"spec.ports.0.nodePort": 31380.0,
		`spec.selector.gateway\.networking\.k8s\.io/gateway-name`: "ingress",
	} {
		if got := front.Get(path); got != want {
			t.Errorf("ingress Service %s = %v, want %v", path, got, want)
		}
	}
	if got := front.Get("spec.selector.app"); got != nil {
		t.Errorf("ingress Service selects the gateway chart's app label %v: istiod's pods do not carry it", got)
	}
	if !mocks.Find(t, components.ServiceToken, components.GatewayReleaseName).DependsOn(gw.URN) {
		t.Errorf("the ingress Service does not wait for the Gateway to be Programmed")
	}
	if got := url.Value(t); got != "http://127.0.0.1:31380" {
		t.Errorf("ingress URL = %q", got)
	}
	if got := api.Value(t); got != "gateway-api" {
		t.Errorf("ingressApi = %q", got)
	}
	// Restricted Pod Security admits the provisioned gateway's pods.
	if got := istiod.Get("values.gateways.seccompProfile.type"); got != "RuntimeDefault" {
		t.Errorf("istiod gateways.seccompProfile = %v", got)
	}

	// Workloads learn who the provisioned gateway is, and what routes wait for.
	want := components.GatewayIdentity{
		API: components.IngressAPIGateway, Name: "ingress",
		Selector:  map[string]string{components.GatewayNameLabel: "ingress"},
		Namespace: "istio-system", Principal: "cluster.local/ns/istio-system/sa/ingress-istio",
	}
	if got := attachment.Gateway; got.API != want.API || got.Name != want.Name || got.Principal != want.Principal || got.Selector[components.GatewayNameLabel] != "ingress" {
		t.Errorf("gateway identity = %+v, want %+v", got, want)
	}
	if len(attachment.Routes) != 1 {
		t.Errorf("routes wait for %d resources, want the Gateway", len(attachment.Routes))
	}
}

func TestIstioMeshGatewayAPIIngressTypes(t *testing.T) {
	for _, tc := range []struct {
		typ     components.ServiceType
		wantURL string
	}{
		{components.ServiceTypeLoadBalancer, "http://203.0.113.8:80"},
		{components.ServiceTypeClusterIP, "http://ingress-istio.istio-system.svc.cluster.local:80"},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			args := gatewayAPIMeshArgs()
			args.Spec.Ingress.Type, args.Spec.Ingress.HTTPNodePort = tc.typ, 0
			mocks, out := runMesh(t, args)
			if got := out.url.Value(t); got != tc.wantURL {
				t.Errorf("ingress URL = %q, want %q", got, tc.wantURL)
			}
			service := overlay(t, mocks.Find(t, "kubernetes:core/v1:ConfigMap", "ingress-options"), "service")["spec"].(map[string]interface{})
			if service["type"] != string(tc.typ) || service["ports"] != nil {
				t.Errorf("service overlay = %v, want type %s and no node port", service, tc.typ)
			}
			// The Gateway's own Service fronts the gateway: none of the stack's.
			for _, svc := range mocks.OfType("kubernetes:core/v1:Service") {
				if svc.Name == components.GatewayReleaseName {
					t.Errorf("the stack registers its own ingress Service for a %s Gateway", tc.typ)
				}
			}
		})
	}
}

func TestIngressAPIRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*components.IstioMeshSpec)
		wantPath string
	}{
		{"unknown API", func(s *components.IstioMeshSpec) { s.Ingress.API = "nginx" }, "ingress.api"},
		{"gateway-api LoadBalancer with a fixed node port", func(s *components.IstioMeshSpec) {
			s.Ingress.API, s.Ingress.Type = components.IngressAPIGateway, components.ServiceTypeLoadBalancer
		}, "ingress.httpNodePort"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := meshSpec()
			tc.edit(&s)
			errs := s.Validate()
			if len(errs) != 1 || errs[0].Field != tc.wantPath {
				t.Fatalf("errors = %v, want one at %s", errs, tc.wantPath)
			}
		})
	}
	for _, port := range []int{0, 31380} {
		s := meshSpec()
		s.Ingress.API, s.Ingress.HTTPNodePort = components.IngressAPIGateway, port
		if errs := s.Validate(); len(errs) != 0 {
			t.Errorf("the default mesh with the Gateway API ingress on node port %d is refused: %v", port, errs)
		}
	}
}

// gatewayAPIAttachment is testAttachment with the Gateway API ingress.
func gatewayAPIAttachment(route pulumi.Resource) func(*components.MeshAttachment) {
	return func(m *components.MeshAttachment) {
		m.Gateway = components.GatewayIdentity{
			API: components.IngressAPIGateway, Name: "ingress",
			Selector:  map[string]string{components.GatewayNameLabel: "ingress"},
			Namespace: "istio-system", Principal: "cluster.local/ns/istio-system/sa/ingress-istio",
		}
		m.Routes = []pulumi.Resource{route}
	}
}

func TestSampleChainHTTPRoute(t *testing.T) {
	spec := chainSpec()
	spec.GatewayHosts = []string{"*", "chain.example.com"}
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		gateway, err := pulumi.NewStackReference(ctx, "gateway", nil)
		if err != nil {
			return err
		}
		attachment, err := testAttachment(ctx)
		if err != nil {
			return err
		}
		gatewayAPIAttachment(gateway)(&attachment)
		_, err = components.NewSampleChain(ctx, "chain", &components.SampleChainArgs{Spec: spec, Mesh: attachment})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mocks.OfType(customResourceType)) + len(mocks.OfType(virtualServiceType)); n != 0 {
		t.Errorf("%d Istio Gateway/VirtualService registered with the Gateway API ingress", n)
	}
	route := mocks.Find(t, httpRouteType, "http-route")
	for path, want := range map[string]interface{}{
		"metadata.name":                     "service-a",
		"metadata.namespace":                "playground",
		"spec.parentRefs.0.name":            "ingress",
		"spec.parentRefs.0.namespace":       "istio-system",
		"spec.parentRefs.0.sectionName":     "http",
		"spec.hostnames.0":                  "chain.example.com",
		"spec.rules.0.backendRefs.0.name":   "service-a",
		"spec.rules.0.backendRefs.0.port":   8000.0,
		"spec.rules.0.backendRefs.0.weight": nil,
	} {
		if got := route.Get(path); got != want {
			t.Errorf("HTTPRoute %s = %v, want %v", path, got, want)
		}
	}
	if hosts := route.Get("spec.hostnames").([]interface{}); len(hosts) != 1 {
		t.Errorf(`hostnames = %v: "*" is every host, said by listing none`, hosts)
	}
	if !route.DependsOn(mocks.Find(t, "pulumi:pulumi:StackReference", "gateway").URN) {
		t.Error("the HTTPRoute does not wait for the Gateway")
	}
	// The first hop lets in the provisioned gateway's identity and pods.
	allow := mocks.Find(t, "kubernetes:security.istio.io/v1:AuthorizationPolicy", "service-a-allow")
	if got := allow.Get("spec.rules.0.from.0.source.principals.0"); got != "cluster.local/ns/istio-system/sa/ingress-istio" {
		t.Errorf("service-a allows %v", got)
	}
	netpol := mocks.Find(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "service-a")
	if got := netpol.Get(`spec.ingress.0.from.0.podSelector.matchLabels.gateway\.networking\.k8s\.io/gateway-name`); got != "ingress" {
		t.Errorf("service-a's NetworkPolicy lets in pods %v", netpol.Get("spec.ingress.0.from.0"))
	}
}

func TestGatewayHostRules(t *testing.T) {
	for _, tc := range []struct {
		hosts   []string
		api     components.IngressAPI
		refused []string
	}{
		{[]string{"*", "chain.example.com", "*.example.com"}, components.IngressAPIGateway, nil},
		{[]string{"playground/chain.example.com", "chain.example.com:80", "Chain_Example"}, components.IngressAPIGateway,
			[]string{"gatewayHosts[0]", "gatewayHosts[1]", "gatewayHosts[2]"}},
		// Istio's Gateway takes its namespace/host form.
		{[]string{"playground/chain.example.com"}, components.IngressAPIIstio, nil},
	} {
		errs := components.GatewayHostRules(tc.hosts, tc.api)
		var got []string
		for _, e := range errs {
			got = append(got, e.Field)
			if !strings.Contains(e.Error(), "gateway-api") {
				t.Errorf("%v: %q does not say which ingress API refuses it", tc.hosts, e.Error())
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.refused, ",") {
			t.Errorf("GatewayHostRules(%v, %s) refused %v, want %v", tc.hosts, tc.api, got, tc.refused)
		}
	}
}
