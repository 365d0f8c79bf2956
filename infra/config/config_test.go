package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/infra/config"
)

// root is a project root with a sample-app build context, so the default
// configuration (which builds ./sample-app) validates.
func root(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sample-app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sample-app", "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDefaultsAreTheTutorial(t *testing.T) {
	dir := root(t)
	cfg, err := config.Parse(config.FromMap(nil, dir))
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.WebServer
	if w.Name != "webserver" || w.Replicas != 3 || w.Image != "docker.io/nginxinc/nginx-unprivileged:stable-alpine" || w.ContainerPort != 8080 || w.RunAsUser != 101 || !w.ReadOnlyRootFilesystem {
		t.Errorf("webserver defaults = %+v", w)
	}
	if w.Liveness.Path != "/" || w.Liveness.Port != 0 || w.Liveness.InitialDelaySeconds != 3 || w.Liveness.PeriodSeconds != 3 {
		t.Errorf("liveness defaults = %+v", w.Liveness)
	}
	if s := w.Service; !s.Enabled || s.Name != "webserver-svc" || s.Type != "NodePort" || s.Port != 80 {
		t.Errorf("service defaults = %+v", s)
	}
	if cfg.Istio.Ingress.HTTPNodePort != 31380 || cfg.Istio.Ingress.Type != "NodePort" {
		t.Errorf("ingress defaults = %+v", cfg.Istio.Ingress)
	}
	if !slices.Equal(cfg.Chain.Hops, []string{"a", "b", "c"}) || cfg.Chain.Port != 8000 {
		t.Errorf("chain defaults = %+v", cfg.Chain)
	}
	if !cfg.Telemetry.Tracing || cfg.Telemetry.SamplingPercent != 1 {
		t.Errorf("tracing defaults = %+v, want on at istiod's 1%%", cfg.Telemetry.TracingSpec)
	}
	// Secure by default: istio-cni, STRICT mTLS, default deny, restricted namespaces.
	if m := cfg.Istio; !m.CNI.Enabled || m.CNI.Namespace != "istio-cni" || m.MTLS != "STRICT" || !m.Authorization || !m.NetworkPolicies ||
		m.PodSecurity.App != "restricted" || m.PodSecurity.System != "restricted" || !m.SidecarInjection {
		t.Errorf("security defaults = cni %+v mtls %s authz %v netpol %v podSecurity %+v injection %v", m.CNI, m.MTLS, m.Authorization, m.NetworkPolicies, m.PodSecurity, m.SidecarInjection)
	}
	if m := cfg.Istio; m.Hub != "" || m.Tag != "" || m.CNI.BinDir != "" || m.CNI.ConfDir != "" || m.Ingress.NodeSelector != nil || m.Ingress.Tolerations != nil {
		t.Errorf("image source and placement should be the charts' own by default: %+v %+v %+v", m.ImageSource, m.CNI, m.Ingress)
	}
	// Relative paths resolve against the project root.
	if got := cfg.Chain.Build.Context; got != filepath.Join(dir, "sample-app") {
		t.Errorf("build context = %s, want it under the project root", got)
	}
}

func TestPartialObjectsKeepDefaults(t *testing.T) {
	cfg, err := config.Parse(config.FromMap(map[string]string{
		"webserver:liveness":      `{"port": 88}`,
		"webserver:containerPort": "8080",
		"istio:ingress":           `{"type": "LoadBalancer", "httpNodePort": 0}`,
	}, root(t)))
	if err != nil {
		t.Fatal(err)
	}
	l := cfg.WebServer.Liveness
	if l.Port != 88 || l.Path != "/" || l.InitialDelaySeconds != 3 {
		t.Errorf("liveness = %+v, want the tutorial's broken port 88 and the other defaults", l)
	}
	if got := cfg.WebServer.Readiness.Port; got != 0 {
		t.Errorf("readiness port = %d, want 0 (the container port)", got)
	}
	if cfg.Istio.Ingress.Replicas != 1 || cfg.Istio.Ingress.Host != "127.0.0.1" {
		t.Errorf("ingress lost its defaults: %+v", cfg.Istio.Ingress)
	}
}

// badInputs are refused configurations, each with the key its refusal
// names; FuzzConfig starts from them too.
var badInputs = []struct {
	name    string
	config  map[string]string
	wantKey string
	// wantText appears in the message: the value given or what is accepted.
	wantText string
}{
	{"replicas not a number", map[string]string{"webserver:replicas": "three"}, "webserver:replicas", `"three"`},
	{"negative replicas", map[string]string{"webserver:replicas": "-1"}, "webserver:replicas", ">= 0"},
	{"container port too high", map[string]string{"webserver:containerPort": "70000"}, "webserver:containerPort", "want 1-65535"},
	{"container port zero", map[string]string{"webserver:containerPort": "0"}, "webserver:containerPort", "want 1-65535"},
	{"bad image reference", map[string]string{"webserver:image": "nginx:stable alpine"}, "webserver:image", "image reference"},
	{"upper-case image", map[string]string{"webserver:image": "NGINX"}, "webserver:image", `"NGINX"`},
	{"name not a DNS label", map[string]string{"webserver:name": "Web_Server"}, "webserver:name", "DNS-1123"},
	{"probe path relative", map[string]string{"webserver:liveness": `{"path": "healthz"}`}, "webserver:liveness.path", "absolute"},
	{"probe port out of range", map[string]string{"webserver:readiness": `{"port": 99999}`}, "webserver:readiness.port", "0 or 1-65535"},
	{"probe unknown field", map[string]string{"webserver:liveness": `{"paht": "/"}`}, "webserver:liveness", "unknown field"},
	{"probe wrong type", map[string]string{"webserver:liveness": `{"port": "eighty"}`}, "webserver:liveness", "port"},
	{"quantity malformed", map[string]string{"webserver:resources": `{"requests": {"cpu": "lots"}}`}, "webserver:resources.requests.cpu", "quantity"},
	{"request above limit", map[string]string{"webserver:resources": `{"requests": {"memory": "1Gi"}, "limits": {"memory": "64Mi"}}`}, "webserver:resources.requests.memory", "at most the limit"},
	{"unknown service type", map[string]string{"webserver:service": `{"enabled": true, "name": "webserver-svc", "type": "Ingress", "port": 80}`}, "webserver:service.type", "one of ClusterIP, NodePort, LoadBalancer"},
	{"node port outside the range", map[string]string{"webserver:service": `{"enabled": true, "name": "webserver-svc", "type": "NodePort", "port": 80, "nodePort": 8080}`}, "webserver:service.nodePort", "0 or 30000-32767"},
	{"node port on ClusterIP", map[string]string{"webserver:service": `{"enabled": true, "name": "webserver-svc", "type": "ClusterIP", "port": 80, "nodePort": 30080}`}, "webserver:service.nodePort", "opens no node port"},
	{"Local policy on ClusterIP", map[string]string{"webserver:service": `{"enabled": true, "name": "webserver-svc", "type": "ClusterIP", "port": 80, "externalTrafficPolicy": "Local"}`}, "webserver:service.externalTrafficPolicy", "NodePort or LoadBalancer"},
	{"unknown traffic policy", map[string]string{"webserver:service": `{"enabled": true, "name": "webserver-svc", "type": "NodePort", "port": 80, "externalTrafficPolicy": "Nearest"}`}, "webserver:service.externalTrafficPolicy", "empty or one of Cluster, Local"},
	{"ExternalName for the web server", map[string]string{"webserver:service": `{"enabled": true, "name": "webserver-svc", "type": "ExternalName", "port": 80}`}, "webserver:service.type", "one of ClusterIP, NodePort, LoadBalancer"},
	{"service name starting with a digit", map[string]string{"webserver:service": `{"enabled": true, "name": "1svc", "type": "NodePort", "port": 80}`}, "webserver:service.name", "DNS-1035"},
	{"chart version not semver", map[string]string{"istio:version": "latest"}, "istio:version", "chart version"},
	{"chart repo not a URL", map[string]string{"istio:chartRepo": "istio-release"}, "istio:chartRepo", "https:// or oci:// URL"},
	{"chart dir without charts", map[string]string{"istio:chartDir": "no-such-dir"}, "istio:chartDir", "Istio charts"},
	{"ingress ExternalName", map[string]string{"istio:ingress": `{"type": "ExternalName"}`}, "istio:ingress.type", "ClusterIP, NodePort, LoadBalancer"},
	{"ingress node port on ClusterIP", map[string]string{"istio:ingress": `{"type": "ClusterIP", "httpNodePort": 31380}`}, "istio:ingress.httpNodePort", "NodePort or LoadBalancer"},
	{"ingress NodePort without a host", map[string]string{"istio:ingress": `{"host": ""}`}, "istio:ingress.host", "minikube ip"},
	{"zero istiod replicas", map[string]string{"istio:istiodReplicas": "0"}, "istio:istiodReplicas", ">= 1"},
	{"app namespace is istio's", map[string]string{"istio:appNamespace": "istio-system"}, "istio:appNamespace", "other than namespace (the app namespace is labeled"},
	{"namespace with capitals", map[string]string{"istio:namespace": "Istio"}, "istio:namespace", "DNS-1123"},
	{"accessLogs not a bool", map[string]string{"istio:accessLogs": "yes please"}, "istio:accessLogs", "true or false"},
	{"empty chain", map[string]string{"chain:hops": `[]`}, "chain:hops", "non-empty list"},
	{"duplicate hop", map[string]string{"chain:hops": `["a", "b", "a"]`}, "chain:hops", "unique"},
	{"hop not a DNS label", map[string]string{"chain:hops": `["a", "B_2"]`}, "chain:hops", "DNS-1035"},
	{"hops not a list", map[string]string{"chain:hops": `a,b,c`}, "chain:hops", "list of strings"},
	{"chain port zero", map[string]string{"chain:port": "0"}, "chain:port", "want 1-65535"},
	{"prebuilt image malformed", map[string]string{"chain:image": "sample-app:"}, "chain:image", "image reference"},
	{"build context missing", map[string]string{"chain:build": `{"context": "nowhere", "repository": "sample-app"}`}, "chain:build.context", "Dockerfile"},
	{"repository with a tag", map[string]string{"chain:build": `{"context": "sample-app", "repository": "sample-app:v1"}`}, "chain:build.repository", "without tag"},
	{"push without a registry", map[string]string{"chain:build": `{"context": "sample-app", "repository": "ghcr.io/o/s", "push": true}`}, "chain:build.registry.server", "registry to push to"},
	{"traffic for a hop the chain lacks", map[string]string{"chain:traffic": `{"d": {"timeout": "1s"}}`}, "chain:traffic[d]", "a hop of chain:hops (a, b, c)"},
	{"traffic field in another letter case", map[string]string{"chain:traffic": `{"b": {"timeOut": "1s"}}`}, "chain:traffic", `"b.timeOut" is "b.timeout"`},
	{"traffic weights short of 100", map[string]string{"chain:traffic": `{"c": {"versions": [{"name": "v1", "weight": 90}, {"name": "v2", "weight": 5}]}}`}, "chain:traffic[c].versions", "weights summing to 100"},
	{"first hop's traffic with the Gateway API", map[string]string{"chain:traffic": `{"a": {"timeout": "1s"}}`, "istio:ingress": `{"api": "gateway-api"}`}, "chain:traffic[a]", "rules on later hops only"},
	{"sampling above 100", map[string]string{"telemetry:samplingPercent": "150"}, "telemetry:samplingPercent", "number from 0 to 100"},
	{"sampling not a number", map[string]string{"telemetry:samplingPercent": "all"}, "telemetry:samplingPercent", "a number"},
	{"scrape interval malformed", map[string]string{"telemetry:scrapeInterval": "15 seconds"}, "telemetry:scrapeInterval", "Prometheus duration"},
	{"unknown key, typo", map[string]string{"webserver:replica": "3"}, "webserver:replica", "did you mean webserver:replicas?"},
	{"unknown key, wrong namespace", map[string]string{"istio:samplingPercent": "100"}, "istio:samplingPercent", "did you mean telemetry:samplingPercent?"},
	{"unknown key, project namespace", map[string]string{"play-kubernetes:replicas": "5"}, "play-kubernetes:replicas", "did you mean chain:replicas or webserver:replicas?"},
	{"unknown key, far from any", map[string]string{"chain:colour": "blue"}, "chain:colour", "a known key (see the README"},
	{"unknown key, misspelled flag", map[string]string{"telemetry:grafanna": "true"}, "telemetry:grafanna", "did you mean telemetry:grafana?"},
	{"mTLS mode lower-case", map[string]string{"istio:mtls": "strict"}, "istio:mtls", "one of STRICT, PERMISSIVE"},
	{"mTLS mode DISABLE", map[string]string{"istio:mtls": "DISABLE"}, "istio:mtls", "STRICT, PERMISSIVE"},
	{"pod security level unknown", map[string]string{"istio:podSecurity": `{"app": "strict"}`}, "istio:podSecurity.app", "one of privileged, baseline, restricted"},
	{"system pod security level unknown", map[string]string{"istio:podSecurity": `{"system": "none"}`}, "istio:podSecurity.system", "privileged, baseline, restricted"},
	{"restricted app namespace without istio-cni", map[string]string{"istio:cni": `{"enabled": false}`}, "istio:podSecurity.app", "NET_ADMIN and NET_RAW"},
	{"baseline app namespace without istio-cni", map[string]string{"istio:cni": `{"enabled": false}`, "istio:podSecurity": `{"app": "baseline"}`}, "istio:podSecurity.app", "privileged unless cni.enabled is true or sidecarInjection is false"},
	{"istio-cni in the app namespace", map[string]string{"istio:cni": `{"namespace": "playground"}`}, "istio:cni.namespace", "other than appNamespace"},
	{"istio-cni beside a restricted control plane", map[string]string{"istio:cni": `{"namespace": "istio-system"}`}, "istio:podSecurity.system", "privileged when cni.namespace is namespace"},
	{"istio-cni namespace not a label", map[string]string{"istio:cni": `{"namespace": "Istio CNI"}`}, "istio:cni.namespace", "DNS-1123"},
	{"istio-cni unknown field", map[string]string{"istio:cni": `{"enable": true}`}, "istio:cni", "unknown field"},
	{"istio-cni limits below requests", map[string]string{"istio:cni": `{"resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "500m"}}}`}, "istio:cni.resources.requests.cpu", "at most the limit"},
	{"platform unknown", map[string]string{"istio:platform": "aks"}, "istio:platform", "gke, k3d, k3s, microk8s, minikube, openshift"},
	{"network policies not a bool", map[string]string{"istio:networkPolicies": "on"}, "istio:networkPolicies", "true or false"},
	{"topology spread not a bool", map[string]string{"webserver:topologySpread": "zones"}, "webserver:topologySpread", "true or false"},
	{"unknown key, security typo", map[string]string{"istio:authorisation": "true"}, "istio:authorisation", "did you mean istio:authorization?"},
	{"pod annotation key malformed", map[string]string{"webserver:podAnnotations": `{"not a key!": "x"}`}, "webserver:podAnnotations", "annotation keys (qualified names)"},
	{"pod annotations not an object", map[string]string{"webserver:podAnnotations": `["a"]`}, "webserver:podAnnotations", "an object of string keys to string values"},
	{"jaeger image malformed", map[string]string{"telemetry:jaegerImage": "jaeger@latest"}, "telemetry:jaegerImage", "image reference"},
	{"hub with a tag", map[string]string{"istio:hub": "registry.example.com/istio:1.31"}, "istio:hub", "image repository prefix without tag or digest"},
	{"tag with a colon", map[string]string{"istio:tag": ":1.31.4"}, "istio:tag", "image tag"},
	{"node selector key malformed", map[string]string{"istio:ingress": `{"nodeSelector": {"not a key!": "x"}}`}, "istio:ingress.nodeSelector", "map of Kubernetes label keys to label values"},
	{"node selector value malformed", map[string]string{"istio:ingress": `{"nodeSelector": {"dedicated": "in gress"}}`}, "istio:ingress.nodeSelector", "label values"},
	{"node selector not a map", map[string]string{"istio:ingress": `{"nodeSelector": ["dedicated"]}`}, "istio:ingress", "nodeSelector"},
	{"toleration operator unknown", map[string]string{"istio:ingress": `{"tolerations": [{"key": "k", "operator": "Lt", "value": "1"}]}`}, "istio:ingress.tolerations[0].operator", "one of Exists, Equal"},
	{"toleration effect unknown", map[string]string{"istio:ingress": `{"tolerations": [{"key": "k", "operator": "Exists", "effect": "Never"}]}`}, "istio:ingress.tolerations[0].effect", "NoSchedule, PreferNoSchedule, NoExecute"},
	{"toleration seconds without NoExecute", map[string]string{"istio:ingress": `{"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 30}]}`}, "istio:ingress.tolerations[0].tolerationSeconds", "unless effect is NoExecute"},
	{"toleration unknown field", map[string]string{"istio:ingress": `{"tolerations": [{"kee": "k"}]}`}, "istio:ingress", "unknown field"},
	{"sidecar injection not a bool", map[string]string{"istio:sidecarInjection": "off"}, "istio:sidecarInjection", "true or false"},
	{"CNI bin dir relative", map[string]string{"istio:cni": `{"binDir": "opt/cni/bin"}`}, "istio:cni.binDir", "absolute path"},
	{"CNI conf dir stepping back", map[string]string{"istio:cni": `{"confDir": "/etc/cni/../net.d"}`}, "istio:cni.confDir", "absolute path"},
	{"gateway host with a space", map[string]string{"chain:gatewayHosts": `["shop example.com"]`}, "chain:gatewayHosts", "* or DNS names"},
	{"web server named like a hop", map[string]string{"webserver:name": "service-a"}, "webserver:name", "other than a chain hop's service-<hop>"},
	{"web server named like a mesh policy", map[string]string{"webserver:name": "default-deny"}, "webserver:name", "mesh-baseline"},
	{"web server Service named like a hop", map[string]string{"webserver:service": `{"name": "service-b"}`}, "webserver:service.name", "other than a chain hop's service-<hop>"},
	{"grafana image malformed while off", map[string]string{"telemetry:grafanaImage": "Grafana"}, "telemetry:grafanaImage", "image reference"},
	{"grafana dashboards not a bool", map[string]string{"telemetry:grafana": "true", "telemetry:grafanaDashboards": "istio"}, "telemetry:grafanaDashboards", "true or false"},
	{"kiali not a bool", map[string]string{"telemetry:kiali": "yes"}, "telemetry:kiali", "true or false"},
	{"kiali image malformed", map[string]string{"telemetry:kiali": "true", "telemetry:kialiImage": "quay.io/kiali/kiali:"}, "telemetry:kialiImage", "image reference"},
	{"kiali image malformed while off", map[string]string{"telemetry:kialiImage": "Kiali"}, "telemetry:kialiImage", "image reference"},
	{"kiali limits below requests", map[string]string{"telemetry:kiali": "true", "telemetry:kialiResources": `{"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}`}, "telemetry:kialiResources.requests.memory", "at most the limit"},
	{"kiali resources unknown field", map[string]string{"telemetry:kialiResources": `{"request": {"cpu": "1"}}`}, "telemetry:kialiResources", "unknown field"},
	{"unknown key, misspelled kiali", map[string]string{"telemetry:kaili": "true"}, "telemetry:kaili", "did you mean telemetry:kiali?"},
	{"scrape interval zero", map[string]string{"telemetry:scrapeInterval": "0s"}, "telemetry:scrapeInterval", "greater than 0"},
	{"two JSON values", map[string]string{"webserver:liveness": `{"port": 88} {"port": 89}`}, "webserver:liveness", "an object"},
	// Numbers Kubernetes cannot hold in the field they become.
	{"replicas beyond int32", map[string]string{"webserver:replicas": "2147483648"}, "webserver:replicas", "<= 2147483647 (an int32 in Kubernetes)"},
	{"chain replicas beyond int32", map[string]string{"chain:replicas": "3000000000"}, "chain:replicas", "<= 2147483647"},
	{"istiod replicas beyond int32", map[string]string{"istio:istiodReplicas": "2147483648"}, "istio:istiodReplicas", "<= 2147483647"},
	{"gateway replicas beyond int32", map[string]string{"istio:ingress": `{"replicas": 2147483648}`}, "istio:ingress.replicas", "<= 2147483647"},
	{"revision history beyond int32", map[string]string{"webserver:revisionHistoryLimit": "2147483648"}, "webserver:revisionHistoryLimit", "<= 2147483647"},
	{"probe period beyond int32", map[string]string{"webserver:liveness": `{"periodSeconds": 2147483648}`}, "webserver:liveness.periodSeconds", "<= 2147483647"},
	{"user id beyond int32", map[string]string{"webserver:runAsUser": "2147483648"}, "webserver:runAsUser", "user id from 0 to 2147483647"},
	{"negative CPU request", map[string]string{"webserver:resources": `{"requests": {"cpu": "-100m"}}`}, "webserver:resources.requests.cpu", "Kubernetes quantity >= 0"},
	{"negative memory limit", map[string]string{"istio:cni": `{"resources": {"limits": {"memory": "-1Gi"}}}`}, "istio:cni.resources.limits.memory", "Kubernetes quantity >= 0"},
	{"change cause beyond the annotation limit", map[string]string{"webserver:changeCause": strings.Repeat("x", 256*1024)}, "webserver:changeCause", "limit of 262144 bytes"},
	{"change cause and pod annotations beyond the limit together", map[string]string{"webserver:changeCause": strings.Repeat("x", 100*1024), "webserver:podAnnotations": `{"a": "` + strings.Repeat("y", 200*1024) + `"}`}, "webserver:changeCause", "with the other annotations"},
	// Two Services asking for one node port.
	{"web server node port of the ingress", map[string]string{"webserver:service": `{"type": "NodePort", "nodePort": 31380}`}, "webserver:service.nodePort", "other than istio:ingress.httpNodePort's 31380"},
	{"web server load balancer on the ingress's node port", map[string]string{"webserver:service": `{"type": "LoadBalancer", "nodePort": 30080}`, "istio:ingress": `{"httpNodePort": 30080}`}, "webserver:service.nodePort", "httpNodePort's 30080"},
	// Ports and the user the sidecar holds, while injection is on.
	{"web server on the sidecar's inbound port", map[string]string{"webserver:containerPort": "15006"}, "webserver:containerPort", "Istio's sidecar ports"},
	{"web server Service on the sidecar's health port", map[string]string{"webserver:service": `{"port": 15021}`}, "webserver:service.port", "while istio:sidecarInjection is true"},
	{"chain on the sidecar's metrics port", map[string]string{"chain:port": "15090"}, "chain:port", "Istio's sidecar ports"},
	{"web server as the sidecar's user", map[string]string{"webserver:runAsUser": "1337"}, "webserver:runAsUser", "a user other than 1337"},
	// Texts shaped for their use.
	{"ingress host with a scheme", map[string]string{"istio:ingress": `{"host": "http://192.168.49.2"}`}, "istio:ingress.host", "DNS name or IP address, without scheme, port or brackets"},
	{"ingress host with a port", map[string]string{"istio:ingress": `{"host": "192.168.49.2:31380"}`}, "istio:ingress.host", "without scheme, port"},
	{"ingress host bracketed", map[string]string{"istio:ingress": `{"host": "[2001:db8::1]"}`}, "istio:ingress.host", "brackets"},
	{"ingress host with an IPv6 zone", map[string]string{"istio:ingress": `{"host": "fe80::1%eth0"}`}, "istio:ingress.host", "IPv6 zone"},
	{"CNI bin dir with a newline", map[string]string{"istio:cni": `{"binDir": "/opt/cni/bin\n"}`}, "istio:cni.binDir", "without control characters"},
	{"chart dir with an escape sequence", map[string]string{"istio:chartDir": "charts\x1b[31m"}, "istio:chartDir", "path without control characters"},
	{"build platform without an os", map[string]string{"chain:build": `{"platform": "amd64"}`}, "chain:build.platform", "os/arch or os/arch/variant"},
	{"build platform with a space", map[string]string{"chain:build": `{"platform": "linux/amd 64"}`}, "chain:build.platform", "os/arch"},
	{"push to another registry than the repository's", map[string]string{"chain:build": `{"repository": "ghcr.io/o/sample-app", "push": true, "registry": {"server": "registry.example.com"}}`}, "chain:build.registry.server", "the registry build.repository is in (ghcr.io)"},
	{"push to Docker Hub logged in elsewhere", map[string]string{"chain:build": `{"repository": "sample-app", "push": true, "registry": {"server": "ghcr.io"}}`}, "chain:build.registry.server", "(index.docker.io)"},
	{"registry server with a scheme", map[string]string{"chain:build": `{"repository": "ghcr.io/o/sample-app", "push": true, "registry": {"server": "https://ghcr.io"}}`}, "chain:build.registry.server", "without scheme or path"},
	// Objects decoded strictly: keys as written, each once.
	{"field in another letter case", map[string]string{"webserver:liveness": `{"Port": 88}`}, "webserver:liveness", `"Port" is "port" in another letter case`},
	{"field given twice", map[string]string{"webserver:liveness": `{"port": 88, "port": 89}`}, "webserver:liveness", `"port" is given twice`},
	{"fields differing only by case", map[string]string{"istio:ingress": `{"httpNodePort": 31380, "HTTPNodePort": 31381}`}, "istio:ingress", `"HTTPNodePort" is "httpNodePort" in another letter case`},
	{"nested field in another letter case", map[string]string{"istio:ingress": `{"resources": {"Limits": {"cpu": "1"}}}`}, "istio:ingress", `"resources.Limits" is "resources.limits"`},
	{"toleration field in another letter case", map[string]string{"istio:ingress": `{"tolerations": [{"Key": "k", "operator": "Exists"}]}`}, "istio:ingress", `"tolerations[0].Key" is "tolerations[0].key"`},
	{"revision field in another letter case", map[string]string{"istio:revisions": `[{"Name": "canary"}]`}, "istio:revisions", `"[0].Name" is "[0].name"`},
	{"annotation given twice", map[string]string{"webserver:podAnnotations": `{"a": "1", "a": "2"}`}, "webserver:podAnnotations", `each key once ("a" is given twice)`},
	// Namespaces that are near misses of ours.
	{"namespace misspelled", map[string]string{"webservr:replicas": "3"}, "webservr:replicas", "did you mean webserver:replicas?"},
	{"namespace in another letter case", map[string]string{"Webserver:replicas": "3"}, "Webserver:replicas", "did you mean webserver:replicas?"},
	{"short namespace misspelled", map[string]string{"chian:hops": `["a"]`}, "chian:hops", "did you mean chain:hops?"},
	{"namespace misspelled, key far from any", map[string]string{"Telemetry:colour": "blue"}, "Telemetry:colour", "a known key of the telemetry: namespace"},
	// Credentials, plain text, and secrets nothing reads.
	{"chart repo with credentials", map[string]string{"istio:chartRepo": "https://user:s3cret@charts.example.com/istio"}, "istio:chartRepo", "URL without a user or password"},
	{"chart repo with a token as user", map[string]string{"istio:chartRepo": "oci://token@registry.example.com/istio", "istio:chartDir": "charts"}, "istio:chartRepo", `"oci://registry.example.com/istio" (credentials left out)`},
	{"chart repo in plain http", map[string]string{"istio:chartRepo": "http://charts.example.com/istio"}, "istio:chartRepo", "http:// with chartRepoAllowHTTP: true"},
	{"registry password without a push", map[string]string{"chain:registryPassword": "hunter2"}, "chain:registryPassword", "unset unless build.push is true"},
	{"registry password beside a prebuilt image", map[string]string{"chain:image": "ghcr.io/o/sample-app:1", "chain:registryPassword": "hunter2"}, "chain:registryPassword", "and image is unset"},
}

func TestBadInputIsRefusedWithTheKey(t *testing.T) {
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse(config.FromMap(tc.config, root(t)))
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse(%v) = %v, want config.Errors", tc.config, err)
			}
			// A refusal of the key itself (a key may have several) says what it accepts.
			var refusals []string
			for _, e := range errs {
				if e.Key == tc.wantKey {
					refusals = append(refusals, e.Error())
				}
			}
			if len(refusals) == 0 {
				t.Fatalf("no error names %s:\n%v", tc.wantKey, err)
			}
			if !slices.ContainsFunc(refusals, func(r string) bool { return strings.Contains(r, tc.wantText) }) {
				t.Errorf("no refusal of %s says %q:\n%v", tc.wantKey, tc.wantText, err)
			}
			if !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("message does not say nothing was changed:\n%v", err)
			}
		})
	}
}

func TestEveryErrorIsReportedAtOnce(t *testing.T) {
	_, err := config.Parse(config.FromMap(map[string]string{
		"webserver:replicas":        "-3",
		"chain:hops":                `[]`,
		"telemetry:samplingPercent": "101",
	}, root(t)))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("want 3 errors in one pass, got %v", err)
	}
}

func TestSecretsMustBeSecret(t *testing.T) {
	build := `{"context": "sample-app", "repository": "ghcr.io/o/sample-app", "push": true, "registry": {"server": "ghcr.io", "username": "o"}}`
	values := map[string]string{"chain:build": build, "chain:registryPassword": "hunter2"}

	_, err := config.Parse(config.FromMap(values, root(t)))
	if err == nil || !strings.Contains(err.Error(), "pulumi config set --secret chain:registryPassword") {
		t.Fatalf("a plaintext password was accepted or not explained: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("the error leaks the secret: %v", err)
	}
	cfg, err := config.Parse(config.FromMap(values, root(t), "chain:registryPassword"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Chain.RegistryPassword != "hunter2" {
		t.Error("the registry password did not reach the chain's spec")
	}
	delete(values, "chain:registryPassword")
	if _, err := config.Parse(config.FromMap(values, root(t))); err == nil || !strings.Contains(err.Error(), "chain:registryPassword") {
		t.Errorf("a push with a username but no password was accepted: %v", err)
	}
}

func TestOtherNamespacesAreNotOurs(t *testing.T) {
	_, err := config.Parse(config.FromMap(map[string]string{
		"kubernetes:context":    "minikube",
		"kubernetes:kubeconfig": "/dev/null",
		"pulumi:tags":           `{"project":"play-kubernetes"}`,
		"docker:host":           "unix:///var/run/docker.sock",
		// A user's own namespaces, even ones that share a word with ours.
		"myteam:replicas":          "5",
		"webserver-team:owner":     "ops",
		"kubernetes-extra:context": "x",
	}, root(t)))
	if err != nil {
		t.Fatalf("keys of providers' namespaces were refused: %v", err)
	}
}

// TestValuesBesideTheRulesAreAccepted: each rule refuses what it names and
// no more; these sit just beside one.
func TestValuesBesideTheRulesAreAccepted(t *testing.T) {
	push := func(repository, server string) string {
		return `{"repository": "` + repository + `", "platform": "linux/arm64/v8", "push": true, "registry": {"server": "` + server + `", "username": "o"}}`
	}
	cases := []struct {
		name    string
		config  map[string]string
		secrets []string
	}{
		{"largest int32 replicas", map[string]string{"webserver:replicas": "2147483647", "chain:replicas": "0"}, nil},
		{"largest user id", map[string]string{"webserver:runAsUser": "2147483647"}, nil},
		{"zero quantities", map[string]string{"webserver:resources": `{"requests": {"cpu": "0", "memory": "0"}}`}, nil},
		{"sidecar ports without injection", map[string]string{"istio:sidecarInjection": "false", "webserver:containerPort": "15006", "chain:port": "15090"}, nil},
		{"the sidecar's user without injection", map[string]string{"istio:sidecarInjection": "false", "webserver:runAsUser": "1337"}, nil},
		{"a port beside the sidecar's", map[string]string{"webserver:containerPort": "15002", "chain:port": "15080"}, nil},
		{"two node ports", map[string]string{"webserver:service": `{"type": "NodePort", "nodePort": 31381}`}, nil},
		{"one node port, the ingress on a load balancer", map[string]string{"webserver:service": `{"type": "NodePort", "nodePort": 31380}`, "istio:ingress": `{"type": "LoadBalancer", "httpNodePort": 0}`}, nil},
		{"IPv6 ingress host", map[string]string{"istio:ingress": `{"host": "2001:db8::1"}`}, nil},
		{"ingress host name in capitals", map[string]string{"istio:ingress": `{"host": "Node-1.Example.com"}`}, nil},
		{"plain http chart repo, opted in", map[string]string{"istio:chartRepo": "http://charts.example.com/istio", "istio:chartRepoAllowHTTP": "true"}, nil},
		{"OCI chart repo", map[string]string{"istio:chartRepo": "oci://registry.example.com/istio"}, nil},
		{"push to the repository's registry", map[string]string{"chain:build": push("registry.example.com:5000/o/sample-app", "registry.example.com:5000"), "chain:registryPassword": "x"}, []string{"chain:registryPassword"}},
		{"push to Docker Hub", map[string]string{"chain:build": push("o/sample-app", "docker.io"), "chain:registryPassword": "x"}, []string{"chain:registryPassword"}},
		{"a push without login", map[string]string{"chain:build": `{"repository": "ghcr.io/o/sample-app", "push": true, "registry": {"server": "ghcr.io"}}`}, nil},
		{"pod annotations under the limit with the change cause", map[string]string{"webserver:podAnnotations": `{"a": "` + strings.Repeat("y", 200*1024) + `"}`, "webserver:changeCause": "rollout 2"}, nil},
		{"map keys differing only by case", map[string]string{"webserver:podAnnotations": `{"example.com/a": "1", "example.com/A": "2"}`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := config.Parse(config.FromMap(tc.config, root(t), tc.secrets...)); err != nil {
				t.Errorf("Parse(%v) refused it:\n%v", tc.config, err)
			}
		})
	}
}

// TestRefusalsWithholdCredentials: a refused value that holds a credential
// is shown without it.
func TestRefusalsWithholdCredentials(t *testing.T) {
	cases := []struct {
		name, secret string
		config       map[string]string
	}{
		{"chart repo user and password", "s3cret", map[string]string{"istio:chartRepo": "https://user:s3cret@charts.example.com/istio"}},
		{"chart repo token", "ghp_token", map[string]string{"istio:chartRepo": "https://ghp_token@charts.example.com/istio"}},
		{"registry password nothing reads", "hunter2", map[string]string{"chain:registryPassword": "hunter2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse(config.FromMap(tc.config, root(t), "chain:registryPassword"))
			if err == nil {
				t.Fatalf("Parse(%v) accepted it", tc.config)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("the refusal shows the credential:\n%v", err)
			}
		})
	}
}

// TestPlacementAndSourceKeys: the keys for mirrors, dedicated ingress
// nodes, clusters without Envoy and CNI kept elsewhere reach the spec.
func TestPlacementAndSourceKeys(t *testing.T) {
	cfg, err := config.Parse(config.FromMap(map[string]string{
		"istio:hub":              "registry.example.com/mirror/istio",
		"istio:tag":              "1.31.4",
		"istio:ingress":          `{"nodeSelector": {"node-role.example.com/ingress": "true"}, "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ingress", "effect": "NoSchedule"}]}`,
		"istio:sidecarInjection": "false",
		"istio:cni":              `{"binDir": "/var/lib/cni/bin", "confDir": "/etc/cni/multus/net.d"}`,
	}, root(t)))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Istio
	if m.Hub != "registry.example.com/mirror/istio" || m.Tag != "1.31.4" {
		t.Errorf("image source = %+v", m.ImageSource)
	}
	if m.Ingress.NodeSelector["node-role.example.com/ingress"] != "true" || len(m.Ingress.Tolerations) != 1 || m.Ingress.Tolerations[0].Effect != "NoSchedule" {
		t.Errorf("ingress placement = %+v %+v", m.Ingress.NodeSelector, m.Ingress.Tolerations)
	}
	if m.SidecarInjection {
		t.Error("sidecarInjection: false was not read")
	}
	// A partial object keeps the rest of its defaults.
	if m.CNI.BinDir != "/var/lib/cni/bin" || m.CNI.ConfDir != "/etc/cni/multus/net.d" || !m.CNI.Enabled || m.CNI.Namespace != "istio-cni" {
		t.Errorf("cni = %+v", m.CNI)
	}
	if m.Ingress.Type != "NodePort" || m.Ingress.HTTPNodePort != 31380 {
		t.Errorf("ingress lost its defaults: %+v", m.Ingress)
	}
}
