package rule

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
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

// Quantity accepts a Kubernetes quantity >= 0 ("100m", "64Mi"), or
// nothing: the API server refuses a negative request or limit.
func Quantity(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	if q, err := resource.ParseQuantity(v); err != nil || q.Sign() < 0 {
		return invalid(p, v, "Kubernetes quantity >= 0")
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

// ChartRepo accepts a Helm repository URL: https or an OCI registry, and
// plain http only when the user opted in (allowHTTP, named by allowAt):
// charts fetched without TLS can be altered on the way, and they install
// cluster-wide objects.
func ChartRepo(p *field.Path, v string, allowHTTP bool, allowAt *field.Path) field.ErrorList {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci"):
		return invalid(p, v, "https:// or oci:// URL (http:// with "+allowAt.String()+": true)")
	case u.Scheme == "http" && !allowHTTP:
		return invalid(p, v, "https:// or oci:// URL, or http:// with "+allowAt.String()+": true (charts fetched in plain text can be altered in transit)")
	}
	return nil
}

// URLWithoutCredentials accepts a URL that holds no user or password, or
// a text that is no URL (judged by the rule of its use): a credential in
// a config value is stored in plain text, in the stack file and the
// state. The refusal leaves the credentials out of the value it shows.
func URLWithoutCredentials(p *field.Path, v string) field.ErrorList {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return nil
	}
	withheld := *u
	withheld.User = nil
	return invalid(p, shownAs(fmt.Sprintf("%q (credentials left out)", withheld.String())),
		"URL without a user or password (what the URL holds is stored in plain text, in the stack file and the state)")
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
// server refuses a hostPath with a ".." element, so does this; a control
// character (a newline pasted with the path) names no directory a node has.
func AbsolutePath(p *field.Path, v string) field.ErrorList {
	switch {
	case v == "":
	case !strings.HasPrefix(v, "/"):
		return invalid(p, v, "absolute path")
	case slices.Contains(strings.Split(v, "/"), ".."):
		return invalid(p, v, "absolute path", `must not contain ".."`)
	case strings.ContainsFunc(v, unicode.IsControl):
		return invalid(p, v, "absolute path", "without control characters")
	}
	return nil
}

// LocalPath accepts a path on the user's machine without control
// characters, or nothing: such a path is passed on to Helm or the image
// build, and shown in their output, where a control character is mistaken
// for the end of a line or a terminal command.
func LocalPath(p *field.Path, v string) field.ErrorList {
	if strings.ContainsFunc(v, unicode.IsControl) {
		return invalid(p, v, "path without control characters")
	}
	return nil
}

// Host accepts the host part of a URL the stack builds (http://<host>:<port>):
// a DNS name or an IP address, without scheme, port, path or brackets
// (the URL's builder brackets an IPv6 address), or nothing. DNS names are
// case-insensitive, so letter case is not judged.
func Host(p *field.Path, v string) field.ErrorList {
	const accepted = "DNS name or IP address, without scheme, port or brackets"
	if v == "" {
		return nil
	}
	if addr, err := netip.ParseAddr(v); err == nil {
		if addr.Zone() != "" {
			return invalid(p, v, accepted, "an IPv6 zone names an interface of one machine")
		}
		return nil
	}
	if msgs := validation.IsDNS1123Subdomain(strings.ToLower(v)); len(msgs) > 0 {
		return invalid(p, v, accepted, msgs...)
	}
	return nil
}

// platformPart is one part of a platform, as containerd's parser accepts it.
var platformPart = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Platform accepts a build platform, os/arch or os/arch/variant
// (linux/amd64, linux/arm/v7), as `docker build --platform` takes one, or
// nothing.
func Platform(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	parts := strings.Split(v, "/")
	malformed := func(part string) bool { return !platformPart.MatchString(part) }
	if len(parts) < 2 || len(parts) > 3 || slices.ContainsFunc(parts, malformed) {
		return invalid(p, v, "os/arch or os/arch/variant (e.g. linux/amd64, linux/arm64/v8)")
	}
	return nil
}

// PushTarget accepts a registry server that is the registry of the
// repository pushed to: the build logs in to the server and pushes to the
// repository's registry, so with two different ones the push goes out
// without the credentials. A repository without a registry is Docker
// Hub's (docker.io). A malformed repository is judged by Repository.
func PushTarget(p *field.Path, server, repository string) field.ErrorList {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil
	}
	reg, err := name.NewRegistry(server)
	if err != nil {
		return invalid(p, server, "registry host[:port] without scheme or path: the registry build.repository is in ("+repo.RegistryStr()+")", err.Error())
	}
	if !strings.EqualFold(reg.RegistryStr(), repo.RegistryStr()) {
		return invalid(p, server, "the registry build.repository is in ("+repo.RegistryStr()+")")
	}
	return nil
}
