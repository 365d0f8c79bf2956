package components_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"sigs.k8s.io/yaml"
)

const (
	clusterRoleType        = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
	clusterRoleBindingType = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
	networkPolicyType      = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

func kialiSpec() components.TelemetrySpec {
	spec := telemetrySpec()
	spec.KialiSpec.Enabled = true
	return spec
}

// kialiConfig is Kiali's config.yaml as registered.
type kialiConfig struct {
	Auth struct {
		Strategy string `json:"strategy"`
	} `json:"auth"`
	IstioNamespace string `json:"istio_namespace"`
	Deployment     struct {
		Namespace          string `json:"namespace"`
		ViewOnlyMode       *bool  `json:"view_only_mode"`
		ClusterWideAccess  bool   `json:"cluster_wide_access"`
		DiscoverySelectors struct {
			Default []struct {
				MatchExpressions []struct {
					Key      string   `json:"key"`
					Operator string   `json:"operator"`
					Values   []string `json:"values"`
				} `json:"matchExpressions"`
			} `json:"default"`
		} `json:"discovery_selectors"`
	} `json:"deployment"`
	Clustering struct {
		AutodetectSecrets struct {
			Enabled *bool `json:"enabled"`
		} `json:"autodetect_secrets"`
	} `json:"clustering"`
	FeatureFlags struct {
		Certificates struct {
			Enabled *bool `json:"enabled"`
		} `json:"certificates_information_indicators"`
	} `json:"kiali_feature_flags"`
	ExternalServices struct {
		Prometheus struct {
			URL string `json:"url"`
		} `json:"prometheus"`
		Tracing struct {
			Enabled      bool   `json:"enabled"`
			Provider     string `json:"provider"`
			InClusterURL string `json:"in_cluster_url"`
			UseGRPC      *bool  `json:"use_grpc"`
		} `json:"tracing"`
		Istio struct {
			RootNamespace   string `json:"root_namespace"`
			IstioAPIEnabled *bool  `json:"istio_api_enabled"`
		} `json:"istio"`
		Grafana struct {
			Enabled *bool `json:"enabled"`
		} `json:"grafana"`
	} `json:"external_services"`
	Server struct {
		Port    int    `json:"port"`
		WebRoot string `json:"web_root"`
	} `json:"server"`
}

func readKialiConfig(t *testing.T, mocks *pulumimock.Mocks) kialiConfig {
	t.Helper()
	cm := mocks.Find(t, "kubernetes:core/v1:ConfigMap", "kiali")
	var config kialiConfig
	if err := yaml.Unmarshal([]byte(cm.Get("data").(map[string]interface{})["config.yaml"].(string)), &config); err != nil {
		t.Fatal(err)
	}
	return config
}

// serviceURL is the in-cluster URL of a Service the stack registered, from
// its own name, namespace and first port.
func serviceURL(t *testing.T, mocks *pulumimock.Mocks, name string) string {
	t.Helper()
	svc := mocks.Find(t, "kubernetes:core/v1:Service", name)
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%v", svc.Get("metadata.name"), svc.Get("metadata.namespace"), svc.Get("spec.ports.0.port"))
}

// TestKialiReadsTheStacksBackends: Kiali's configuration points at the
// Prometheus and Jaeger Services the same Telemetry registers (Jaeger's
// HTTP query API: svc/tracing forwards to Jaeger's UI port), in the mesh's
// namespaces, view-only and with nothing that needs more than reading.
func TestKialiReadsTheStacksBackends(t *testing.T) {
	mocks, _ := runTelemetry(t, kialiSpec())
	config := readKialiConfig(t, mocks)
	es := config.ExternalServices
	if want := serviceURL(t, mocks, components.PrometheusService); es.Prometheus.URL != want {
		t.Errorf("Kiali's Prometheus = %q, want the stack's %q", es.Prometheus.URL, want)
	}
	if want := serviceURL(t, mocks, components.JaegerQueryService); es.Tracing.InClusterURL != want {
		t.Errorf("Kiali's tracing in_cluster_url = %q, want the stack's Jaeger query %q", es.Tracing.InClusterURL, want)
	}
	if got := mocks.Find(t, "kubernetes:core/v1:Service", components.JaegerQueryService).Get("spec.ports.0.targetPort"); got != float64(components.JaegerUIPort) {
		t.Errorf("svc/tracing forwards to %v, not Jaeger's HTTP query port %d", got, components.JaegerUIPort)
	}
	if !es.Tracing.Enabled || es.Tracing.Provider != "jaeger" || es.Tracing.UseGRPC == nil || *es.Tracing.UseGRPC {
		t.Errorf("Kiali's tracing = %+v, want Jaeger over HTTP (the stack's Jaeger serves no gRPC query port)", es.Tracing)
	}
	if config.IstioNamespace != "istio-system" || es.Istio.RootNamespace != "istio-system" || config.Deployment.Namespace != "istio-system" {
		t.Errorf("Kiali's Istio namespace %q, root namespace %q, own namespace %q; want istio-system", config.IstioNamespace, es.Istio.RootNamespace, config.Deployment.Namespace)
	}
	selectors := config.Deployment.DiscoverySelectors.Default
	if len(selectors) != 1 || len(selectors[0].MatchExpressions) != 1 {
		t.Fatalf("Kiali's discovery selectors = %+v, want one on the namespaces' names", selectors)
	}
	if e := selectors[0].MatchExpressions[0]; e.Key != "kubernetes.io/metadata.name" || e.Operator != "In" || !slices.Equal(e.Values, []string{"istio-system", "playground"}) {
		t.Errorf("Kiali shows %+v, want the control plane's and the app's namespaces", e)
	}
	if v := config.Deployment.ViewOnlyMode; v == nil || !*v {
		t.Error("Kiali is not in view_only_mode")
	}
	if config.Auth.Strategy != "anonymous" {
		t.Errorf("auth strategy %q, want anonymous (reached by port-forward only)", config.Auth.Strategy)
	}
	// Each of these would need a right Kiali is not given.
	for what, on := range map[string]*bool{
		"external_services.istio.istio_api_enabled (pods/portforward to istiod)":                 es.Istio.IstioAPIEnabled,
		"clustering.autodetect_secrets.enabled (listing Secrets)":                                config.Clustering.AutodetectSecrets.Enabled,
		"kiali_feature_flags.certificates_information_indicators.enabled (reading istiod's CAs)": config.FeatureFlags.Certificates.Enabled,
		"external_services.grafana.enabled (Grafana's admin credentials)":                        es.Grafana.Enabled,
	} {
		if on == nil || *on {
			t.Errorf("%s is not false", what)
		}
	}
	if config.Server.Port != components.KialiPort || config.Server.WebRoot != components.KialiWebRoot {
		t.Errorf("Kiali serves on %d under %q, want %d under %q", config.Server.Port, config.Server.WebRoot, components.KialiPort, components.KialiWebRoot)
	}
}

// TestKialiMayOnlyRead: Kiali's account is bound to one ClusterRole that
// may get, list and watch, nothing else, and never Secrets; the Deployment
// runs as that account.
func TestKialiMayOnlyRead(t *testing.T) {
	mocks, _ := runTelemetry(t, kialiSpec())
	roles := mocks.OfType(clusterRoleType)
	if len(roles) != 1 {
		t.Fatalf("%d ClusterRoles, want Kiali's one", len(roles))
	}
	role := roles[0]
	if role.Get("metadata.name") != "kiali-viewer" {
		t.Errorf("Kiali's ClusterRole is %v, want kiali-viewer (the Kiali chart's read-only role)", role.Get("metadata.name"))
	}
	read := []interface{}{"get", "list", "watch"}
	granted := map[string]bool{}
	for _, r := range role.Get("rules").([]interface{}) {
		rule := r.(map[string]interface{})
		if !reflect.DeepEqual(rule["verbs"], read) {
			t.Errorf("Kiali may %v on %v; it only reads", rule["verbs"], rule["resources"])
		}
		for _, g := range rule["apiGroups"].([]interface{}) {
			for _, res := range rule["resources"].([]interface{}) {
				granted[fmt.Sprint(g, "/", res)] = true
			}
		}
	}
	for _, never := range []string{"/secrets", "/pods/portforward", "/pods/exec", "/*"} {
		if granted[never] {
			t.Errorf("Kiali may read %s", never)
		}
	}
	// What Kiali's graph and lists are made of.
	for _, need := range []string{"/pods", "/services", "/namespaces", "/endpoints", "/configmaps", "apps/deployments", "apps/replicasets",
		"networking.istio.io/*", "security.istio.io/*", "admissionregistration.k8s.io/mutatingwebhookconfigurations"} {
		if !granted[need] {
			t.Errorf("Kiali may not read %s", need)
		}
	}
	binding := mocks.Find(t, clusterRoleBindingType, "kiali-viewer")
	if binding.Get("roleRef.kind") != "ClusterRole" || binding.Get("roleRef.name") != "kiali-viewer" {
		t.Errorf("the binding binds %v %v", binding.Get("roleRef.kind"), binding.Get("roleRef.name"))
	}
	if subject := binding.Get("subjects.0").(map[string]interface{}); subject["kind"] != "ServiceAccount" || subject["name"] != "kiali" || subject["namespace"] != "istio-system" {
		t.Errorf("the binding binds %v, want Kiali's ServiceAccount", subject)
	}
	if n := len(mocks.OfType(clusterRoleBindingType)); n != 1 {
		t.Errorf("%d ClusterRoleBindings, want one", n)
	}
	d := mocks.Find(t, deploymentType, "kiali")
	if d.Get("spec.template.spec.serviceAccountName") != "kiali" || d.Get("spec.template.spec.automountServiceAccountToken") != true {
		t.Errorf("Kiali runs as %v (token %v), want its ServiceAccount with a token", d.Get("spec.template.spec.serviceAccountName"), d.Get("spec.template.spec.automountServiceAccountToken"))
	}
}

// TestKialiWorkload: the pinned image, the restricted Pod Security
// Standard, resources, probes on its health path, out of the mesh, its
// configuration where the server is told to read it.
func TestKialiWorkload(t *testing.T) {
	mocks, _ := runTelemetry(t, kialiSpec())
	d := mocks.Find(t, deploymentType, "kiali")
	pod := "spec.template.spec."
	c := pod + "containers.0."
	for path, want := range map[string]interface{}{
		c + "image":                                               playk8s.Version("KIALI_IMAGE"),
		pod + "securityContext.runAsNonRoot":                      true,
		pod + "securityContext.runAsUser":                         1000.0,
		pod + "securityContext.seccompProfile.type":               "RuntimeDefault",
		c + "securityContext.allowPrivilegeEscalation":            false,
		c + "securityContext.readOnlyRootFilesystem":              true,
		c + "securityContext.capabilities.drop.0":                 "ALL",
		c + "resources.requests.cpu":                              "50m",
		c + "resources.limits.memory":                             "1Gi",
		c + "readinessProbe.httpGet.path":                         "/kiali/healthz",
		c + "readinessProbe.httpGet.port":                         float64(components.KialiPort),
		c + "livenessProbe.httpGet.path":                          "/kiali/healthz",
		c + "ports.0.containerPort":                               float64(components.KialiPort),
		c + "volumeMounts.0.mountPath":                            "/kiali-configuration",
		pod + "volumes.0.configMap.name":                          "kiali",
		"spec.template.metadata.labels.app":                       "kiali",
		`spec.template.metadata.labels.sidecar\.istio\.io/inject`: "false",
	} {
		if got := d.Get(path); got != want {
			t.Errorf("kiali %s = %v, want %v", path, got, want)
		}
	}
	if got := d.Get(c + "args"); !reflect.DeepEqual(got, []interface{}{"-config", "/kiali-configuration/config.yaml"}) {
		t.Errorf("kiali args = %v, want the mounted config.yaml", got)
	}
}

// TestKialiPortForward: the output forwards svc/kiali, which selects
// Kiali's pods on the port it serves.
func TestKialiPortForward(t *testing.T) {
	mocks, out := runTelemetry(t, kialiSpec())
	if got, want := out.kialiCommand.Value(t), "kubectl -n istio-system port-forward svc/kiali 20001:20001"; got != want {
		t.Errorf("port-forward command = %q, want %q", got, want)
	}
	svc := mocks.Find(t, "kubernetes:core/v1:Service", components.KialiService)
	if svc.Get("spec.selector.app") != "kiali" || svc.Get("spec.ports.0.port") != float64(components.KialiPort) || svc.Get("spec.type") != "ClusterIP" {
		t.Errorf("svc/kiali = %v", svc.Get("spec"))
	}
}

// runTelemetryWithPolicies is runTelemetry in a mesh whose workload
// policies include NetworkPolicies or not.
func runTelemetryWithPolicies(t *testing.T, spec components.TelemetrySpec, networkPolicies bool) *pulumimock.Mocks {
	t.Helper()
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		mesh, err := testAttachment(ctx)
		if err != nil {
			return err
		}
		mesh.Policy.NetworkPolicies = networkPolicies
		_, err = components.NewTelemetry(ctx, "telemetry", &components.TelemetryArgs{Spec: spec, Mesh: mesh})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mocks
}

// TestKialiOnlyByPortForward: where the mesh registers NetworkPolicies,
// one refuses every connection into Kiali's pods (a port-forward enters
// the pod's network namespace and is not judged), which is what lets it
// serve without a login; without them, none.
func TestKialiOnlyByPortForward(t *testing.T) {
	for _, tc := range []struct {
		name            string
		networkPolicies bool
	}{{"with network policies", true}, {"without", false}} {
		t.Run(tc.name, func(t *testing.T) {
			mocks := runTelemetryWithPolicies(t, kialiSpec(), tc.networkPolicies)
			policies := mocks.OfType(networkPolicyType)
			if !tc.networkPolicies {
				if len(policies) != 0 {
					t.Errorf("%d NetworkPolicies registered, want none", len(policies))
				}
				return
			}
			if len(policies) != 1 {
				t.Fatalf("%d NetworkPolicies, want Kiali's one", len(policies))
			}
			p := policies[0]
			if p.Get("metadata.namespace") != "istio-system" || !reflect.DeepEqual(p.Get("spec.podSelector.matchLabels"), map[string]interface{}{"app": "kiali"}) {
				t.Errorf("the NetworkPolicy selects %v in %v, want Kiali's pods", p.Get("spec.podSelector"), p.Get("metadata.namespace"))
			}
			if !reflect.DeepEqual(p.Get("spec.policyTypes"), []interface{}{"Ingress"}) || p.Get("spec.ingress") != nil {
				t.Errorf("the NetworkPolicy has types %v and ingress %v, want Ingress with no rule (nothing in)", p.Get("spec.policyTypes"), p.Get("spec.ingress"))
			}
		})
	}
}

// TestKialiOffRegistersNothing: without telemetry:kiali, nothing of
// Kiali's is registered and its command is empty.
func TestKialiOffRegistersNothing(t *testing.T) {
	mocks, out := runTelemetry(t, telemetrySpec())
	for _, r := range mocks.Resources() {
		if r.Name == "kiali" || r.Name == "kiali-viewer" || r.Type == clusterRoleType || r.Type == clusterRoleBindingType || r.Type == networkPolicyType {
			t.Errorf("%s %s registered without Kiali", r.Type, r.Name)
		}
	}
	if got := out.kialiCommand.Value(t); got != "" {
		t.Errorf("port-forward command = %q without Kiali", got)
	}
}
