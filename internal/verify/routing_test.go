package verify

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func conditions(status map[string]string) []interface{} {
	var out []interface{}
	for typ, st := range status {
		out = append(out, map[string]interface{}{"type": typ, "status": st, "reason": "Because" + typ})
	}
	return out
}

// kubeGateway is the ingress Gateway as istiod leaves it.
func kubeGateway(status map[string]string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]interface{}{"name": components.KubernetesGatewayName, "namespace": testIstio},
		"spec":     map[string]interface{}{"gatewayClassName": "istio"},
		"status":   map[string]interface{}{"conditions": conditions(status)},
	}}
}

// httpRoute is an HTTPRoute to backend, with the status its parent
// Gateway gave it (nil: none yet).
func httpRoute(backend string, parentStatus map[string]string) *unstructured.Unstructured {
	route := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]interface{}{"name": "service-a", "namespace": testNS},
		"spec": map[string]interface{}{
			"parentRefs": []interface{}{map[string]interface{}{"name": components.KubernetesGatewayName, "namespace": testIstio}},
			"rules": []interface{}{map[string]interface{}{"backendRefs": []interface{}{
				map[string]interface{}{"name": backend, "port": int64(8000)},
			}}},
		},
	}}
	if parentStatus != nil {
		route.Object["status"] = map[string]interface{}{"parents": []interface{}{map[string]interface{}{
			"parentRef":      map[string]interface{}{"name": components.KubernetesGatewayName, "namespace": testIstio},
			"controllerName": "istio.io/gateway-controller",
			"conditions":     conditions(parentStatus),
		}}}
	}
	return route
}

func TestGatewayAPIRouting(t *testing.T) {
	programmed := map[string]string{"Accepted": "True", "Programmed": "True"}
	accepted := map[string]string{"Accepted": "True", "ResolvedRefs": "True"}
	for _, tc := range []struct {
		name     string
		objs     []runtime.Object
		wantPass string
		wantFail string
	}{
		{"accepted and programmed", []runtime.Object{kubeGateway(programmed), httpRoute("service-a", accepted)},
			"Gateway istio-system/ingress Programmed; HTTPRoute service-a Accepted -> service-a", ""},
		{"no Gateway", []runtime.Object{httpRoute("service-a", accepted)}, "", "the ingress Gateway"},
		{"Gateway not programmed", []runtime.Object{kubeGateway(map[string]string{"Accepted": "True", "Programmed": "False"}), httpRoute("service-a", accepted)},
			"", "is not Programmed (False: BecauseProgrammed)"},
		{"Gateway not seen by istiod", []runtime.Object{kubeGateway(nil), httpRoute("service-a", accepted)},
			"", "Accepted (no condition yet), Programmed (no condition yet)"},
		{"route to another hop", []runtime.Object{kubeGateway(programmed), httpRoute("service-b", accepted)}, "", "no HTTPRoute in playground routes to service-a"},
		{"route not attached yet", []runtime.Object{kubeGateway(programmed), httpRoute("service-a", nil)}, "", "has not accepted it"},
		{"backend unresolved", []runtime.Object{kubeGateway(programmed), httpRoute("service-a", map[string]string{"Accepted": "True", "ResolvedRefs": "False"})},
			"", "is not ResolvedRefs (False: BecauseResolvedRefs)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := testTarget
			target.IngressAPI = components.IngressAPIGateway
			detail, err := routesToFirstHop(context.Background(), fakeCluster(nil, tc.objs...), target)
			switch {
			case tc.wantFail != "" && (err == nil || !strings.Contains(err.Error(), tc.wantFail)):
				t.Errorf("got %q, %v; want a failure containing %q", detail, err, tc.wantFail)
			case tc.wantFail == "" && (err != nil || !strings.Contains(detail, tc.wantPass)):
				t.Errorf("got %q, %v; want a pass containing %q", detail, err, tc.wantPass)
			}
		})
	}
}

func TestTargetIngressAPI(t *testing.T) {
	if got := TargetFromOutputs(map[string]interface{}{}).IngressAPI; got != components.IngressAPIIstio {
		t.Errorf("a stack without ingressApi is read as %q, want istio", got)
	}
	if got := TargetFromOutputs(map[string]interface{}{stackoutput.IngressAPI: "gateway-api"}).IngressAPI; got != components.IngressAPIGateway {
		t.Errorf("ingressApi gateway-api read as %q", got)
	}
}

// TestPollKeepsTheLastRealFailure: an attempt the deadline cuts short
// reports only the deadline; the failure reported is the attempt before.
func TestPollKeepsTheLastRealFailure(t *testing.T) {
	calls := 0
	_, err := poll(context.Background(), 50*time.Millisecond, time.Millisecond, func(ctx context.Context) (string, error) {
		calls++
		if calls == 1 {
			return "", errors.New("service-c has a target down")
		}
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err == nil || !strings.Contains(err.Error(), "service-c has a target down") {
		t.Errorf("poll = %v, want the real failure", err)
	}
}
