package rule

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestRules(t *testing.T) {
	p := field.NewPath("f")
	cases := []struct {
		name string
		errs field.ErrorList
		// wantPath and wantAccepted describe the one refusal; "" wants none.
		wantPath, wantAccepted string
	}{
		{"hub", ImageHub(p, "registry.example.com:5000/mirror/istio"), "", ""},
		{"hub of docker hub", ImageHub(p, "docker.io/istio"), "", ""},
		{"hub with a tag", ImageHub(p, "docker.io/istio:1.31"), "f", "image repository prefix without tag or digest"},
		{"hub with a trailing slash", ImageHub(p, "docker.io/istio/"), "f", "image repository prefix without tag or digest"},
		{"hub upper-case", ImageHub(p, "Docker.io/Istio"), "f", "image repository prefix without tag or digest"},
		{"tag", ImageTag(p, "1.31.4-distroless"), "", ""},
		{"tag with a colon", ImageTag(p, ":1.31"), "f", "image tag"},
		{"tag with a space", ImageTag(p, "1 31"), "f", "image tag"},
		{"tag too long", ImageTag(p, strings.Repeat("a", 129)), "f", "image tag"},
		{"absolute path", AbsolutePath(p, "/var/lib/cni/bin"), "", ""},
		{"relative path", AbsolutePath(p, "opt/cni/bin"), "f", "absolute path"},
		{"path stepping back", AbsolutePath(p, "/opt/../etc"), "f", "absolute path"},
		{"node port 0", NodePort(p, 0), "", ""},
		{"node port below the range", NodePort(p, 29999), "f", "0 or 30000-32767"},
		{"labels", Labels(p, map[string]string{"node-role.example.com/ingress": "true"}), "", ""},
		{"label key malformed", Labels(p, map[string]string{"bad key!": "x"}), "f", "map of Kubernetes label keys to label values"},
		{"label value malformed", Labels(p, map[string]string{"k": "not a value!"}), "f", "map of Kubernetes label keys to label values"},
		{"annotations too large", Annotations(p, map[string]string{"a": strings.Repeat("x", 256*1024)}), "f", "map of annotation keys (qualified names) to values"},
		{"duration 0", PromDuration(p, "0s"), "f", "Prometheus duration greater than 0"},
		{"request above limit", AtMost(p, "2", "500m"), "f", "at most the limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.errs, tc.wantPath, tc.wantAccepted)
		})
	}
}

// TestTolerations follows the API server's ValidateTolerations case by case.
func TestTolerations(t *testing.T) {
	seconds := int64(30)
	cases := []struct {
		name                   string
		toleration             corev1.Toleration
		wantPath, wantAccepted string
	}{
		{"equal", corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "ingress", Effect: "NoSchedule"}, "", ""},
		{"no operator means Equal", corev1.Toleration{Key: "dedicated", Value: "ingress"}, "", ""},
		{"exists, every effect", corev1.Toleration{Key: "dedicated", Operator: "Exists"}, "", ""},
		{"match every taint", corev1.Toleration{Operator: "Exists"}, "", ""},
		{"NoExecute for a while", corev1.Toleration{Key: "k", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: &seconds}, "", ""},
		{"empty key needs Exists", corev1.Toleration{Operator: "Equal", Value: "v"}, "f[0].operator", "Exists when key is empty"},
		{"exists with a value", corev1.Toleration{Key: "k", Operator: "Exists", Value: "v"}, "f[0].value", "empty when operator is Exists"},
		{"unknown operator", corev1.Toleration{Key: "k", Operator: "Lt", Value: "1"}, "f[0].operator", "one of Exists, Equal"},
		{"unknown effect", corev1.Toleration{Key: "k", Operator: "Exists", Effect: "Sometimes"}, "f[0].effect", "empty or one of NoSchedule, PreferNoSchedule, NoExecute"},
		{"seconds without NoExecute", corev1.Toleration{Key: "k", Operator: "Exists", Effect: "NoSchedule", TolerationSeconds: &seconds}, "f[0].tolerationSeconds", "unset unless effect is NoExecute"},
		{"key not a label name", corev1.Toleration{Key: "bad key", Operator: "Exists"}, "f[0].key", "label name"},
		{"value not a label value", corev1.Toleration{Key: "k", Value: "bad value!"}, "f[0].value", "label value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, Tolerations(field.NewPath("f"), []corev1.Toleration{tc.toleration}), tc.wantPath, tc.wantAccepted)
		})
	}
}

func check(t *testing.T, errs field.ErrorList, wantPath, wantAccepted string) {
	t.Helper()
	if wantPath == "" {
		if len(errs) != 0 {
			t.Fatalf("refused: %v", errs)
		}
		return
	}
	if len(errs) != 1 {
		t.Fatalf("%d refusals, want exactly one: %v", len(errs), errs)
	}
	if errs[0].Field != wantPath || !strings.HasPrefix(errs[0].Detail, wantAccepted) {
		t.Errorf("refusal %s %q, want %s %q", errs[0].Field, errs[0].Detail, wantPath, wantAccepted)
	}
}
