package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/distribution/reference"
	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// check runs value rules for one namespace, recording a FieldError per failure.
type check struct {
	namespace string
	errs      *collector
}

func (c check) key(k string) string { return c.namespace + ":" + k }

func (c check) intRange(k string, v, lo, hi int) {
	if v < lo || v > hi {
		c.errs.add(c.key(k), quote(v), fmt.Sprintf("an integer from %d to %d", lo, hi))
	}
}

func (c check) atLeast(k string, v, lo int) {
	if v < lo {
		c.errs.add(c.key(k), quote(v), fmt.Sprintf("an integer >= %d", lo))
	}
}

func (c check) port(k string, v int) { c.intRange(k, v, 1, 65535) }

// nodePort accepts 0 (Kubernetes chooses) or the apiserver's default node port range.
func (c check) nodePort(k string, v int) {
	if v != 0 && (v < components.NodePortMin || v > components.NodePortMax) {
		c.errs.add(c.key(k), quote(v), fmt.Sprintf("0 (Kubernetes chooses) or a port from %d to %d", components.NodePortMin, components.NodePortMax))
	}
}

func (c check) percent(k string, v float64) {
	if v < 0 || v > 100 {
		c.errs.add(c.key(k), quote(v), "a percentage from 0 to 100")
	}
}

// dnsLabel checks a Kubernetes object name that must be a DNS-1123 label
// (namespaces, Services, Deployments).
func (c check) dnsLabel(k, v string) {
	if msgs := validation.IsDNS1123Label(v); len(msgs) > 0 {
		c.errs.add(c.key(k), quote(v), "a DNS-1123 label: "+strings.Join(msgs, "; "))
	}
}

// serviceName checks a Service name: Kubernetes wants a DNS-1035 label (it must start with a letter).
func (c check) serviceName(k, v string) {
	if msgs := validation.IsDNS1035Label(v); len(msgs) > 0 {
		c.errs.add(c.key(k), quote(v), "a DNS-1035 label: "+strings.Join(msgs, "; "))
	}
}

// image checks an image reference the way the container runtime parses it.
func (c check) image(k, v string) {
	if _, err := reference.ParseNormalizedNamed(v); err != nil {
		c.errs.add(c.key(k), quote(v), "an image reference like nginx:stable-alpine or registry.example.com/team/app@sha256:... ("+err.Error()+")")
	}
}

// repository checks an image name without tag or digest.
func (c check) repository(k, v string) {
	named, err := reference.ParseNormalizedNamed(v)
	if err != nil || !reference.IsNameOnly(named) {
		c.errs.add(c.key(k), quote(v), "an image repository without tag or digest, like sample-app or ghcr.io/org/sample-app")
	}
}

func (c check) quantity(k, v string) {
	if v == "" {
		return
	}
	if _, err := resource.ParseQuantity(v); err != nil {
		c.errs.add(c.key(k), quote(v), "a Kubernetes quantity like 100m, 0.5, 64Mi or 1Gi")
	}
}

func (c check) resources(k string, r components.Resources) {
	c.quantity(k+".requests.cpu", r.Requests.CPU)
	c.quantity(k+".requests.memory", r.Requests.Memory)
	c.quantity(k+".limits.cpu", r.Limits.CPU)
	c.quantity(k+".limits.memory", r.Limits.Memory)
	for _, pair := range []struct{ name, req, lim string }{
		{"cpu", r.Requests.CPU, r.Limits.CPU},
		{"memory", r.Requests.Memory, r.Limits.Memory},
	} {
		req, errReq := resource.ParseQuantity(pair.req)
		lim, errLim := resource.ParseQuantity(pair.lim)
		if pair.req != "" && pair.lim != "" && errReq == nil && errLim == nil && req.Cmp(lim) > 0 {
			c.errs.add(c.key(k+".requests."+pair.name), quote(pair.req), "at most the limit "+pair.lim)
		}
	}
}

func (c check) probe(k string, p components.HTTPProbe) {
	if !strings.HasPrefix(p.Path, "/") {
		c.errs.add(c.key(k+".path"), quote(p.Path), "an absolute HTTP path like /")
	}
	c.port(k+".port", p.Port)
	c.atLeast(k+".initialDelaySeconds", p.InitialDelaySeconds, 0)
	c.atLeast(k+".periodSeconds", p.PeriodSeconds, 0)
	c.atLeast(k+".timeoutSeconds", p.TimeoutSeconds, 0)
	c.atLeast(k+".failureThreshold", p.FailureThreshold, 0)
}

func (c check) serviceType(k string, t components.ServiceType, allowed []components.ServiceType) {
	for _, a := range allowed {
		if t == a {
			return
		}
	}
	c.errs.add(c.key(k), quote(string(t)), "one of "+joinEnum(allowed))
}

// chartVersion checks a Helm chart version: Helm accepts a semantic version.
func (c check) chartVersion(k, v string) {
	if _, err := semver.StrictNewVersion(strings.TrimPrefix(v, "v")); err != nil {
		c.errs.add(c.key(k), quote(v), "a chart version like 1.31.4")
	}
}

// chartRepo checks a Helm repository URL: http(s) or an OCI registry.
func (c check) chartRepo(k, v string) {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci") {
		c.errs.add(c.key(k), quote(v), "a chart repository URL (https://..., or oci://...)")
	}
}

// promDuration checks a Prometheus duration (15s, 1m, 6h, 2d).
func (c check) promDuration(k, v string) {
	if _, err := model.ParseDuration(v); err != nil {
		c.errs.add(c.key(k), quote(v), "a Prometheus duration like 15s, 1m or 6h")
	}
}

func joinEnum[T ~string](values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}
