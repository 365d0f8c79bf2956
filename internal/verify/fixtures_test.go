package verify

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
)

// A deployed tutorial stack as fake API objects: what `make up` leaves.
const (
	testNS    = "playground"
	testIstio = "istio-system"
)

var testTarget = Target{
	Namespace: testNS, IstioNamespace: testIstio, Hops: []string{"a", "b", "c"},
	ServiceURL: "http://ingress.invalid/service",
	Releases:   map[string]string{"istio-base": testIstio, "istio-cni": testCNI, "istiod": testIstio, "istio-ingressgateway": testIstio},
	EntryPort:  8000, SidecarInjection: true, Transport: components.ChainTransportHTTP,
}

const testCNI = "istio-cni"

// deployment is a Deployment as the controller reports it: the Available
// condition follows the available replicas, Progressing says the rollout
// finished.
func deployment(ns, name string, replicas, available int32) *appsv1.Deployment {
	availableCond := corev1.ConditionTrue
	if available < replicas {
		availableCond = corev1.ConditionFalse
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 2, Labels: map[string]string{"app": name}},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: replicas, UpdatedReplicas: replicas,
			ReadyReplicas: available, AvailableReplicas: available,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: availableCond},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"},
			}},
	}
}

func daemonSet(ns, name string, desired, available int32) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: desired, CurrentNumberScheduled: desired,
			UpdatedNumberScheduled: desired, NumberReady: available, NumberAvailable: available},
	}
}

func service(ns, name string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}}}
}

func endpointSlice(ns, svc string, ready ...bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc + "-x",
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}}
	for _, r := range ready {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Conditions: discoveryv1.EndpointConditions{Ready: &r}})
	}
	return s
}

func helmRecord(name string, version int, status string) *corev1.Secret {
	return helmRecordIn(testIstio, name, version, status)
}

func helmRecordIn(ns, name string, version int, status string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns,
		Name:   fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, version),
		Labels: map[string]string{"owner": "helm", "name": name, "version": fmt.Sprint(version), "status": status}}}
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func node(name string, simulated bool) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if simulated {
		n.Annotations = map[string]string{SimulatedNodeAnnotation: "fake"}
	}
	return n
}

// meshedPod is a hop's pod with the app and its sidecar, ready as given.
func meshedPod(hop string, i int, sidecar bool, ready ...bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: fmt.Sprintf("service-%s-%d", hop, i),
		Labels: map[string]string{"app": "service-" + hop}}}
	names := []string{"sample-app"}
	if sidecar {
		names = append(names, sidecarName)
		p.Annotations = injectedBy("default")
	}
	for j, n := range names {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: n})
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: n, Ready: j < len(ready) && ready[j]})
	}
	return p
}

// injectedBy is the annotation Istio's injector writes, for a revision.
func injectedBy(revision string) map[string]string {
	return map[string]string{sidecarStatusAnnotation: `{"containers":["istio-proxy"],"revision":"` + revision + `"}`}
}

// healthyObjects is the whole stack, every check's happy path.
func healthyObjects(simulatedNode bool) []runtime.Object {
	objs := []runtime.Object{
		node("node-1", simulatedNode),
		namespace(testNS, map[string]string{"istio-injection": "enabled"}),
		deployment(testNS, "webserver", 3, 3), service(testNS, "webserver-svc"), endpointSlice(testNS, "webserver-svc", true, true, true),
		deployment(testIstio, "istiod", 1, 1), service(testIstio, "istio-ingressgateway"), endpointSlice(testIstio, "istio-ingressgateway", true),
		helmRecord("istio-base", 1, "deployed"), helmRecord("istiod", 1, "superseded"), helmRecord("istiod", 2, "deployed"),
		helmRecord("istio-ingressgateway", 1, "deployed"),
		helmRecordIn(testCNI, "istio-cni", 1, "deployed"), daemonSet(testCNI, "istio-cni-node", 1, 1),
	}
	for _, hop := range testTarget.Hops {
		name := "service-" + hop
		objs = append(objs, deployment(testNS, name, 1, 1), service(testNS, name), endpointSlice(testNS, name, true),
			meshedPod(hop, 0, true, true, true))
	}
	return objs
}

func virtualService(host string, gateways ...string) *unstructured.Unstructured {
	gw := make([]interface{}, len(gateways))
	for i, g := range gateways {
		gw[i] = g
	}
	return &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
		"metadata": map[string]interface{}{"name": "virtual-service", "namespace": testNS},
		"spec": map[string]interface{}{
			"gateways": gw,
			"http": []interface{}{map[string]interface{}{"route": []interface{}{
				map[string]interface{}{"destination": map[string]interface{}{"host": host}},
			}}},
		},
	}}
}

func fakeCluster(objs []runtime.Object, custom ...runtime.Object) *Cluster {
	scheme := runtime.NewScheme()
	resources := map[string]schema.GroupVersionResource{
		"VirtualService": virtualServices, "Gateway": kubeGateways, "HTTPRoute": httpRoutes,
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme,
		map[schema.GroupVersionResource]string{
			virtualServices: "VirtualServiceList", kubeGateways: "GatewayList", httpRoutes: "HTTPRouteList",
		})
	// By resource: the fake would guess "gatewaies" from the kind.
	for _, o := range custom {
		u := o.(*unstructured.Unstructured)
		if err := dyn.Tracker().Create(resources[u.GetKind()], u, u.GetNamespace()); err != nil {
			panic(err)
		}
	}
	return &Cluster{Kube: fake.NewClientset(objs...), Dynamic: dyn, HTTP: http.DefaultClient}
}

// jsonServer answers each path with a fixed JSON body; unknown paths are 404.
func jsonServer(t *testing.T, bodies map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for prefix, body := range bodies {
			if strings.HasPrefix(r.URL.Path, prefix) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}
