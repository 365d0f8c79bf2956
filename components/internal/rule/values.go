package rule

import (
	"net/url"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/distribution/reference"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Image accepts an image reference the way the container runtime parses it.
func Image(p *field.Path, v string) field.ErrorList {
	if _, err := reference.ParseNormalizedNamed(v); err != nil {
		return invalid(p, v, "image reference", err.Error())
	}
	return nil
}

// Repository accepts an image name without tag or digest.
func Repository(p *field.Path, v string) field.ErrorList {
	named, err := reference.ParseNormalizedNamed(v)
	switch {
	case err != nil:
		return invalid(p, v, "image repository without tag or digest", err.Error())
	case !reference.IsNameOnly(named):
		return invalid(p, v, "image repository without tag or digest")
	}
	return nil
}

// ImageHub accepts a registry and path that image names are appended to
// (Istio's global.hub: <hub>/<image>:<tag>), without tag or digest.
func ImageHub(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	// The charts make <hub>/pilot and the like of it: judge such a name.
	named, err := reference.ParseNormalizedNamed(v + "/pilot")
	if err != nil || !reference.IsNameOnly(named) {
		why := ""
		if err != nil {
			why = err.Error()
		}
		return invalid(p, v, "image repository prefix without tag or digest", why)
	}
	return nil
}

// ImageTag accepts an image tag (what follows the name's colon).
func ImageTag(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	named, _ := reference.ParseNormalizedNamed("pilot")
	if _, err := reference.WithTag(named, v); err != nil {
		return invalid(p, v, "image tag", err.Error())
	}
	return nil
}

// Quantity accepts a Kubernetes quantity ("100m", "64Mi"), or nothing.
func Quantity(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	if _, err := resource.ParseQuantity(v); err != nil {
		return invalid(p, v, "Kubernetes quantity")
	}
	return nil
}

// AtMost accepts a request no larger than its limit (both quantities; an
// unset or malformed one is judged by Quantity, not here).
func AtMost(p *field.Path, request, limit string) field.ErrorList {
	req, errReq := resource.ParseQuantity(request)
	lim, errLim := resource.ParseQuantity(limit)
	if request == "" || limit == "" || errReq != nil || errLim != nil || req.Cmp(lim) <= 0 {
		return nil
	}
	return invalid(p, request, "at most the limit", "the limit is "+limit)
}

// ChartVersion accepts a Helm chart version: a semantic version.
func ChartVersion(p *field.Path, v string) field.ErrorList {
	if _, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v")); err != nil {
		return invalid(p, v, "chart version (semver)")
	}
	return nil
}

// ChartRepo accepts a Helm repository URL: http(s) or an OCI registry.
func ChartRepo(p *field.Path, v string) field.ErrorList {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci") {
		return invalid(p, v, "http://, https:// or oci:// URL")
	}
	return nil
}

// PromDuration accepts a Prometheus duration greater than 0 (15s, 1m, 6h, 2d).
func PromDuration(p *field.Path, v string) field.ErrorList {
	d, err := model.ParseDuration(v)
	if err != nil || d <= 0 {
		return invalid(p, v, "Prometheus duration greater than 0")
	}
	return nil
}

// HTTPPath accepts an absolute HTTP path.
func HTTPPath(p *field.Path, v string) field.ErrorList {
	if !strings.HasPrefix(v, "/") {
		return invalid(p, v, "absolute HTTP path")
	}
	return nil
}

// AbsolutePath accepts an absolute path on a node, or nothing. The API
// server refuses a hostPath with a ".." element, so does this.
func AbsolutePath(p *field.Path, v string) field.ErrorList {
	switch {
	case v == "":
	case !strings.HasPrefix(v, "/"):
		return invalid(p, v, "absolute path")
	case slices.Contains(strings.Split(v, "/"), ".."):
		return invalid(p, v, "absolute path", `must not contain ".."`)
	}
	return nil
}
