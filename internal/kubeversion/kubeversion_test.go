package kubeversion_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/rest"
)

func TestRangeContains(t *testing.T) {
	r := kubeversion.Range{Min: version.MustParseGeneric("1.32"), Max: version.MustParseGeneric("1.36")}
	cases := []struct {
		server string
		want   bool
	}{
		{"v1.31.14", false},
		{"v1.32.0", true},
		{"v1.34.4", true},
		{"v1.36.99", true},
		{"v1.36.3-gke.1200", true},
		{"v1.33.5+k3s1", true},
		{"v1.37.0", false},
		{"v1.37.0-alpha.1", false},
		{"v2.32.0", false},
		{"v0.36.0", false},
	}
	for _, tc := range cases {
		got, err := r.Contains(tc.server)
		if err != nil || got != tc.want {
			t.Errorf("1.32-1.36 contains %s: %v, %v; want %v", tc.server, got, err, tc.want)
		}
	}
	if _, err := r.Contains("latest"); err == nil {
		t.Error("a server version that is no version was accepted")
	}
}

func TestCheckNamesBothVersionsAndTheRange(t *testing.T) {
	r := kubeversion.Range{Min: version.MustParseGeneric("1.32"), Max: version.MustParseGeneric("1.36")}
	err := r.Check("v1.31.2", "1.31.4")
	var u *kubeversion.Unsupported
	if !errors.As(err, &u) {
		t.Fatalf("error %v is not Unsupported", err)
	}
	for _, want := range []string{"v1.31.2", "Istio 1.31.4", "1.32-1.36"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if err := r.Check("v1.36.1", "1.31.4"); err != nil {
		t.Errorf("the newest supported minor was refused: %v", err)
	}
}

// TestPinnedRangeHoldsTheSandbox: versions.env's range parses, is not
// empty, and holds the sandbox's own Kubernetes (the e2e tests run there).
func TestPinnedRangeHoldsTheSandbox(t *testing.T) {
	r := kubeversion.Pinned()
	if r.Min.GreaterThan(r.Max) {
		t.Fatalf("pinned range %s is empty", r)
	}
	if ok, err := r.Contains(playk8s.Version("K8S_VERSION")); !ok || err != nil {
		t.Errorf("the sandbox's Kubernetes %s is outside the pinned Istio's range %s (%v)", playk8s.Version("K8S_VERSION"), r, err)
	}
}

func TestSameMinor(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"1.31.4", "1.31.4", true},
		{"1.31.0", "1.31.4", true},
		{"v1.31.2", "1.31.4", true},
		{"1.30.9", "1.31.4", false},
		{"1.3.1", "1.31.4", false},
	}
	for _, tc := range cases {
		if got := kubeversion.SameMinor(tc.a, tc.b); got != tc.want {
			t.Errorf("SameMinor(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestServerReadsVersion(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.4","platform":"linux/amd64"}`))
	}))
	defer srv.Close()
	got, err := kubeversion.Server(context.Background(), &rest.Config{Host: srv.URL})
	if err != nil || got != "v1.34.4" {
		t.Fatalf("Server = %q, %v; want v1.34.4", got, err)
	}
	if _, err := kubeversion.Server(context.Background(), &rest.Config{Host: srv.URL + "/missing"}); err == nil {
		t.Error("a server without /version gave a version")
	}
}
