package rule

import (
	"math"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestRules(t *testing.T) {
	p := field.NewPath("f")
	beyondInt32 := int64(math.MaxInt32) + 1
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
		{"largest int32", Int32AtLeast(p, 2147483647, 0), "", ""},
		{"beyond int32", Int32AtLeast(p, int(beyondInt32), 0), "f", "integer >= 0 and <= 2147483647"},
		{"below the bound of an int32", Int32AtLeast(p, 0, 1), "f", "integer >= 1 and <= 2147483647"},
		{"port", Port(p, 65535), "", ""},
		{"port beyond the range", Port(p, 65536), "f", "1-65535"},
		{"user id", UserID(p, 2147483647), "", ""},
		{"user id negative", UserID(p, -1), "f", "user id from 0 to 2147483647"},
		{"user id beyond int32", UserID(p, int(beyondInt32)), "f", "user id from 0 to 2147483647"},
		{"quantity zero", Quantity(p, "0"), "", ""},
		{"quantity negative", Quantity(p, "-1Mi"), "f", "Kubernetes quantity >= 0"},
		{"annotation that fits", AnnotationFits(p, "k", "v", map[string]string{"a": "b"}), "", ""},
		{"annotation beyond the total with the others", AnnotationFits(p, "k", strings.Repeat("x", 128*1024), map[string]string{"a": strings.Repeat("y", 128*1024)}), "f", "text that fits, with the other annotations"},
		{"annotation beside others already too large", AnnotationFits(p, "k", "v", map[string]string{"a": strings.Repeat("y", 256*1024)}), "", ""},
		{"chart repo https", ChartRepo(p, "https://charts.example.com", false, field.NewPath("allow")), "", ""},
		{"chart repo http", ChartRepo(p, "http://charts.example.com", false, field.NewPath("allow")), "f", "https:// or oci:// URL, or http:// with allow: true"},
		{"chart repo http, allowed", ChartRepo(p, "http://charts.example.com", true, field.NewPath("allow")), "", ""},
		{"chart repo ftp", ChartRepo(p, "ftp://charts.example.com", true, field.NewPath("allow")), "f", "https:// or oci:// URL"},
		{"URL without credentials", URLWithoutCredentials(p, "https://charts.example.com/x"), "", ""},
		{"URL with a user", URLWithoutCredentials(p, "https://u@charts.example.com/x"), "f", "URL without a user or password"},
		{"URL with an empty password", URLWithoutCredentials(p, "https://:@charts.example.com/x"), "f", "URL without a user or password"},
		{"absolute path with a tab", AbsolutePath(p, "/opt/cni\tbin"), "f", "absolute path (without control characters)"},
		{"absolute path with a DEL", AbsolutePath(p, "/opt/cni\x7fbin"), "f", "absolute path (without control characters)"},
		{"absolute path with spaces and unicode", AbsolutePath(p, "/var/lib/cni plugins/bín"), "", ""},
		{"local path relative", LocalPath(p, "charts/istio"), "", ""},
		{"local path with a newline", LocalPath(p, "charts\n"), "f", "path without control characters"},
		{"host IPv4", Host(p, "192.168.49.2"), "", ""},
		{"host IPv6", Host(p, "2001:db8::1"), "", ""},
		{"host IPv4-mapped IPv6", Host(p, "::ffff:192.0.2.1"), "", ""},
		{"host name", Host(p, "minikube.local"), "", ""},
		{"host with a path", Host(p, "example.com/x"), "f", "DNS name or IP address, without scheme, port or brackets"},
		{"host with user info", Host(p, "u@example.com"), "f", "DNS name or IP address"},
		{"host with a trailing dot", Host(p, "example.com."), "f", "DNS name or IP address"},
		{"host IPv6 with a port", Host(p, "[::1]:80"), "f", "DNS name or IP address"},
		{"platform", Platform(p, "linux/amd64"), "", ""},
		{"platform with a variant", Platform(p, "linux/arm/v7"), "", ""},
		{"platform with four parts", Platform(p, "linux/arm/v7/x"), "f", "os/arch or os/arch/variant"},
		{"platform with an empty arch", Platform(p, "linux/"), "f", "os/arch or os/arch/variant"},
		{"platforms, comma-separated", Platform(p, "linux/amd64,linux/arm64"), "f", "os/arch or os/arch/variant"},
		{"push target", PushTarget(p, "ghcr.io", "ghcr.io/o/s"), "", ""},
		{"push target with a port", PushTarget(p, "localhost:5000", "localhost:5000/s"), "", ""},
		{"push target Docker Hub", PushTarget(p, "docker.io", "library/nginx"), "", ""},
		{"push target, letter case of the host", PushTarget(p, "GHCR.io", "ghcr.io/o/s"), "", ""},
		{"push target of another port", PushTarget(p, "localhost:5001", "localhost:5000/s"), "f", "the registry build.repository is in (localhost:5000)"},
		{"push target with a path", PushTarget(p, "ghcr.io/o", "ghcr.io/o/s"), "f", "registry host[:port] without scheme or path"},
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
