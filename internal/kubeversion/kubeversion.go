// Package kubeversion is the supported-versions guard: the Kubernetes
// minor versions the pinned Istio supports (versions.env, next to the Istio
// pin) and the check of a cluster's version against them, which preview,
// up and `make doctor` run before anything changes.
package kubeversion

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/rest"
)

// Range is the Kubernetes minor versions a release supports, both ends included.
type Range struct {
	Min, Max *version.Version
}

// Pinned is the range of the pinned Istio (ISTIO_VERSION), from versions.env.
func Pinned() Range {
	return Range{
		Min: version.MustParseGeneric(playk8s.Version("ISTIO_KUBERNETES_MIN")),
		Max: version.MustParseGeneric(playk8s.Version("ISTIO_KUBERNETES_MAX")),
	}
}

func (r Range) String() string {
	return fmt.Sprintf("%d.%d-%d.%d", r.Min.Major(), r.Min.Minor(), r.Max.Major(), r.Max.Minor())
}

// Contains reports whether a server version ("v1.34.4", "v1.33.5-gke.1")
// is of a minor version in the range.
func (r Range) Contains(server string) (bool, error) {
	v, err := version.ParseGeneric(server)
	if err != nil {
		return false, fmt.Errorf("the cluster reports version %q, which is not a Kubernetes version: %w", server, err)
	}
	minor := version.MajorMinor(v.Major(), v.Minor())
	return minor.AtLeast(r.Min) && !minor.GreaterThan(r.Max), nil
}

// Unsupported is a cluster outside the range.
type Unsupported struct {
	Server string
	Istio  string
	Range  Range
}

func (u *Unsupported) Error() string {
	return fmt.Sprintf("the cluster runs Kubernetes %s; Istio %s supports Kubernetes %s (Istio's supported releases)", u.Server, u.Istio, u.Range)
}

// Check refuses a server version outside the range of the named Istio release.
func (r Range) Check(server, istio string) error {
	ok, err := r.Contains(server)
	if err != nil {
		return err
	}
	if !ok {
		return &Unsupported{Server: server, Istio: istio, Range: r}
	}
	return nil
}

// SameMinor reports whether two Istio versions ("1.31.4") are of one minor
// release: a stack on another Istio than the pinned one has a range
// versions.env does not hold.
func SameMinor(a, b string) bool {
	minor := func(v string) string {
		parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
		if len(parts) < 2 {
			return v
		}
		return parts[0] + "." + parts[1]
	}
	return minor(a) == minor(b)
}

// Server reads the API server's version (GET /version, which every
// authenticated user may read) through cfg.
func Server(ctx context.Context, cfg *rest.Config) (string, error) {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return "", err
	}
	base, _, err := rest.DefaultServerUrlFor(cfg)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.JoinPath("/version").String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /version: %s", resp.Status)
	}
	var info struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return "", fmt.Errorf("GET /version: %w", err)
	}
	if info.GitVersion == "" {
		return "", fmt.Errorf("GET /version: no gitVersion")
	}
	return info.GitVersion, nil
}
