package components

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// HopTraffic is how requests reach one hop, as Istio's traffic management
// tasks teach it: the hop's versions (bookinfo's reviews v1/v2/v3), which
// requests go to which (weights, header matches), and how the caller
// treats it (timeout, retries, injected faults, circuit breaking). The
// field names are Istio's own, so a user who knows a VirtualService or
// DestinationRule reads them as such. The zero value is today's hop: one
// Deployment, no VirtualService, no DestinationRule of its own.
type HopTraffic struct {
	// Versions of the hop, each its own Deployment service-<hop>-<name>
	// behind the hop's one Service, labeled version=<name>. Empty: the
	// hop's single Deployment service-<hop> (version v1).
	Versions []HopVersion `json:"versions"`
	// Match sends requests whose headers match to one version, checked in
	// order before the weights (bookinfo's `end-user: jason`).
	Match []HeaderRoute `json:"match"`
	// Timeout of a call to the hop, retries included ("" = none).
	Timeout string `json:"timeout"`
	// Retries of a failed call to the hop.
	Retries *HopRetries `json:"retries"`
	// Fault injected into calls to the hop.
	Fault *HopFault `json:"fault"`
	// ConnectionPool limits callers' connections and requests to the hop
	// (circuit breaking).
	ConnectionPool *ConnectionPool `json:"connectionPool"`
	// OutlierDetection ejects failing pods of the hop from callers' load
	// balancing (circuit breaking).
	OutlierDetection *OutlierDetection `json:"outlierDetection"`
}

// HopVersion is one version of a hop.
type HopVersion struct {
	// Name is the version label value and the Deployment's suffix (v1).
	Name string `json:"name"`
	// Image is a prebuilt sample-app reference for this version ("": the
	// chain's image).
	Image string `json:"image"`
	// Replicas of this version (nil: chain:replicas).
	Replicas *int `json:"replicas"`
	// Weight is the percentage of the hop's requests no header match took
	// that go to this version; a hop's weights sum to 100. A hop of one
	// version may leave it out.
	Weight int `json:"weight"`
}

// HeaderRoute sends the requests whose headers all match to a version.
type HeaderRoute struct {
	// Headers by lower-case name, each matched as Istio's StringMatch.
	Headers map[string]StringMatch `json:"headers"`
	// Version the matching requests go to.
	Version string `json:"version"`
}

// StringMatch is Istio's StringMatch: exactly one of its fields.
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// HopRetries is Istio's HTTPRetry.
type HopRetries struct {
	// Attempts after the first call (0: no retries).
	Attempts int `json:"attempts"`
	// PerTryTimeout bounds each attempt ("" = the timeout's rest).
	PerTryTimeout string `json:"perTryTimeout"`
	// RetryOn are the conditions retried, comma-separated: Envoy's
	// x-envoy-retry-on and x-envoy-retry-grpc-on values, or HTTP status codes.
	RetryOn string `json:"retryOn"`
}

// HopFault is Istio's HTTPFaultInjection.
type HopFault struct {
	Delay *FaultDelay `json:"delay"`
	Abort *FaultAbort `json:"abort"`
}

// FaultDelay delays a percentage of calls by FixedDelay.
type FaultDelay struct {
	FixedDelay string  `json:"fixedDelay"`
	Percent    float64 `json:"percent"`
}

// FaultAbort fails a percentage of calls with an HTTP status (HTTPStatus)
// or, for gRPC callers, a gRPC status (GRPCStatus, e.g. UNAVAILABLE).
type FaultAbort struct {
	HTTPStatus int     `json:"httpStatus"`
	GRPCStatus string  `json:"grpcStatus"`
	Percent    float64 `json:"percent"`
}

// ConnectionPool is the part of Istio's ConnectionPoolSettings the
// circuit-breaking task uses.
type ConnectionPool struct {
	TCP  *TCPPool  `json:"tcp"`
	HTTP *HTTPPool `json:"http"`
}

// TCPPool is Istio's ConnectionPoolSettings.TCPSettings (the part used here).
type TCPPool struct {
	MaxConnections int    `json:"maxConnections"`
	ConnectTimeout string `json:"connectTimeout"`
}

// HTTPPool is Istio's ConnectionPoolSettings.HTTPSettings (the part used here).
type HTTPPool struct {
	HTTP1MaxPendingRequests  int `json:"http1MaxPendingRequests"`
	HTTP2MaxRequests         int `json:"http2MaxRequests"`
	MaxRequestsPerConnection int `json:"maxRequestsPerConnection"`
	MaxRetries               int `json:"maxRetries"`
}

// OutlierDetection is Istio's OutlierDetection (the part used here).
type OutlierDetection struct {
	Consecutive5xxErrors int    `json:"consecutive5xxErrors"`
	Interval             string `json:"interval"`
	BaseEjectionTime     string `json:"baseEjectionTime"`
	MaxEjectionPercent   int    `json:"maxEjectionPercent"`
}

// routed reports whether the hop has traffic rules of its own: then it
// gets a VirtualService and DestinationRule.
func (t HopTraffic) routed() bool {
	return len(t.Versions) > 0 || len(t.Match) > 0 || t.Timeout != "" || t.Retries != nil ||
		t.Fault != nil || t.ConnectionPool != nil || t.OutlierDetection != nil
}

// versioned reports whether the hop runs named versions (one Deployment each).
func (t HopTraffic) versioned() bool { return len(t.Versions) > 0 }

// trafficOf is hop's traffic config (the zero value when it has none).
func (s SampleChainSpec) trafficOf(hop string) HopTraffic { return s.Traffic[hop] }

// versionWeights are the hops run in versions: hop -> {weights: {version:
// percent}, headerRoutes: n}, what `make verify` compares the split it
// measures with.
func (s SampleChainSpec) versionWeights() pulumi.Map {
	out := pulumi.Map{}
	for _, hop := range s.Hops {
		t := s.trafficOf(hop)
		if !t.versioned() {
			continue
		}
		weights := pulumi.IntMap{}
		for _, v := range t.Versions {
			w := v.Weight
			if len(t.Versions) == 1 {
				w = 100
			}
			weights[v.Name] = pulumi.Int(w)
		}
		out[hop] = pulumi.Map{"weights": weights, "headerRoutes": pulumi.Int(len(t.Match))}
	}
	return out
}

// forwardedHeaders are the header names any hop's route matches on,
// sorted: every hop passes them on to the next, so a match holds at every
// hop of the chain whichever hop the request entered.
func (s SampleChainSpec) forwardedHeaders() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range s.Traffic {
		for _, m := range t.Match {
			for h := range m.Headers {
				if !seen[h] {
					seen[h] = true
					out = append(out, h)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// minIstioDuration is the shortest duration Istio's validation takes.
const minIstioDuration = time.Millisecond

// validateTraffic refuses, per hop, what Istio's validation would refuse
// later, and what would route requests nowhere.
func (s SampleChainSpec) validateTraffic() field.ErrorList {
	at := field.NewPath("traffic")
	hops := map[string]bool{}
	for _, h := range s.Hops {
		hops[h] = true
	}
	names := make([]string, 0, len(s.Traffic))
	for hop := range s.Traffic {
		names = append(names, hop)
	}
	sort.Strings(names)
	var errs field.ErrorList
	// Whose each name of the chain's workloads is: a hop's own
	// (service-<hop>: its Service, ServiceAccount and, unversioned, its
	// Deployment) and each version's Deployment. Two of one name would be
	// one object the API server refuses the second time.
	owners := map[string]string{}
	for _, h := range s.Hops {
		owners[HopServiceName(h)] = "hop " + h + "'s"
	}
	for _, hop := range names {
		p := at.Key(hop)
		if !hops[hop] {
			errs = append(errs, rule.Refuse(p, hop, "a hop of chain:hops ("+strings.Join(s.Hops, ", ")+")")...)
			continue
		}
		errs = append(errs, s.Traffic[hop].validate(p, hop)...)
		for i, v := range s.Traffic[hop].Versions {
			name := HopVersionName(hop, v.Name)
			if owner, taken := owners[name]; taken {
				errs = append(errs, rule.Refuse(p.Child("versions").Index(i).Child("name"), v.Name,
					fmt.Sprintf("a name whose Deployment %s no other hop or version has (it is %s)", name, owner))...)
				continue
			}
			owners[name] = fmt.Sprintf("hop %s's version %s's", hop, v.Name)
		}
	}
	return errs
}

// WorkloadNames are the names the chain's workloads take in the app
// namespace: each hop's service-<hop> and each version's Deployment.
func (s SampleChainSpec) WorkloadNames() map[string]bool {
	out := map[string]bool{}
	for _, hop := range s.Hops {
		out[HopServiceName(hop)] = true
		for _, v := range s.trafficOf(hop).Versions {
			out[HopVersionName(hop, v.Name)] = true
		}
	}
	return out
}

func (t HopTraffic) validate(p *field.Path, hop string) field.ErrorList {
	errs := t.validateVersions(p.Child("versions"), hop)
	versions := map[string]bool{}
	for _, v := range t.Versions {
		versions[v.Name] = true
	}
	for i, m := range t.Match {
		errs = append(errs, m.validate(p.Child("match").Index(i), versions)...)
	}
	errs = append(errs, duration(p.Child("timeout"), t.Timeout)...)
	if r := t.Retries; r != nil {
		rp := p.Child("retries")
		errs = append(errs, rule.AtLeast(rp.Child("attempts"), r.Attempts, 0)...)
		errs = append(errs, duration(rp.Child("perTryTimeout"), r.PerTryTimeout)...)
		errs = append(errs, retryOn(rp.Child("retryOn"), r.RetryOn)...)
	}
	if f := t.Fault; f != nil {
		errs = append(errs, f.validate(p.Child("fault"))...)
	}
	if c := t.ConnectionPool; c != nil {
		errs = append(errs, c.validate(p.Child("connectionPool"))...)
	}
	if o := t.OutlierDetection; o != nil {
		op := p.Child("outlierDetection")
		errs = append(errs, rule.AtLeast(op.Child("consecutive5xxErrors"), o.Consecutive5xxErrors, 0)...)
		errs = append(errs, duration(op.Child("interval"), o.Interval)...)
		errs = append(errs, duration(op.Child("baseEjectionTime"), o.BaseEjectionTime)...)
		errs = append(errs, rule.Range(op.Child("maxEjectionPercent"), o.MaxEjectionPercent, 0, 100)...)
	}
	return errs
}

// validateVersions refuses versions Kubernetes could not name or label,
// and weights that do not share out every request.
func (t HopTraffic) validateVersions(p *field.Path, hop string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	sum := 0
	for i, v := range t.Versions {
		vp := p.Index(i)
		// service-<hop>-<version> is a Deployment and its pods' name prefix.
		if msgs := validation.IsDNS1123Label(v.Name); len(msgs) > 0 || len(HopVersionName(hop, v.Name)) > maxHopLength+len("service-") {
			errs = append(errs, rule.Refuse(vp.Child("name"), v.Name, fmt.Sprintf("a DNS-1123 label keeping service-%s-<name> within 63 characters (e.g. v1)", hop))...)
		}
		if seen[v.Name] {
			errs = append(errs, rule.Refuse(vp.Child("name"), v.Name, "unique version names")...)
		}
		seen[v.Name] = true
		if v.Image != "" {
			errs = append(errs, rule.Image(vp.Child("image"), v.Image)...)
		}
		if v.Replicas != nil {
			errs = append(errs, rule.Int32AtLeast(vp.Child("replicas"), *v.Replicas, 0)...)
		}
		errs = append(errs, rule.Range(vp.Child("weight"), v.Weight, 0, 100)...)
		sum += v.Weight
	}
	if len(t.Versions) > 1 && sum != 100 {
		errs = append(errs, rule.Refuse(p, fmt.Sprintf("weights summing to %d", sum), "weights summing to 100 (a version only header matches reach weighs 0)")...)
	}
	if len(t.Versions) == 1 && t.Versions[0].Weight != 0 && t.Versions[0].Weight != 100 {
		errs = append(errs, rule.Refuse(p.Index(0).Child("weight"), t.Versions[0].Weight, "100 or unset (the hop's only version takes every request)")...)
	}
	return errs
}

func (m HeaderRoute) validate(p *field.Path, versions map[string]bool) field.ErrorList {
	var errs field.ErrorList
	if len(m.Headers) == 0 {
		errs = append(errs, rule.Missing(p.Child("headers"), "at least one header to match (e.g. {\"end-user\": {\"exact\": \"jason\"}})")...)
	}
	for name, match := range m.Headers {
		hp := p.Child("headers").Key(name)
		// Istio refuses upper case; gRPC reserves grpc-* and HTTP/2 the pseudo-headers.
		if len(validation.IsHTTPHeaderName(name)) > 0 || name != strings.ToLower(name) || strings.HasPrefix(name, "grpc-") {
			errs = append(errs, rule.Refuse(hp, name, "a lower-case HTTP header name not starting with grpc-")...)
		}
		set := 0
		for _, v := range []string{match.Exact, match.Prefix, match.Regex} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, rule.Refuse(hp, match, "exactly one of exact, prefix or regex, non-empty")...)
		}
	}
	if !versions[m.Version] {
		accepted := "a version of this hop's versions"
		if len(versions) == 0 {
			accepted = "a version listed in this hop's versions (it has none)"
		}
		errs = append(errs, rule.Refuse(p.Child("version"), m.Version, accepted)...)
	}
	return errs
}

func (f HopFault) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if f.Delay == nil && f.Abort == nil {
		errs = append(errs, rule.Missing(p, "a delay, an abort or both")...)
	}
	if d := f.Delay; d != nil {
		if d.FixedDelay == "" {
			errs = append(errs, rule.Missing(p.Child("delay", "fixedDelay"), "a duration (e.g. 5s)")...)
		}
		errs = append(errs, duration(p.Child("delay", "fixedDelay"), d.FixedDelay)...)
		errs = append(errs, rule.Percent(p.Child("delay", "percent"), d.Percent)...)
	}
	if a := f.Abort; a != nil {
		ap := p.Child("abort")
		switch {
		case (a.HTTPStatus == 0) == (a.GRPCStatus == ""):
			errs = append(errs, rule.Refuse(ap, fmt.Sprintf("httpStatus %d, grpcStatus %q", a.HTTPStatus, a.GRPCStatus), "exactly one of httpStatus or grpcStatus")...)
		case a.HTTPStatus != 0:
			errs = append(errs, rule.Range(ap.Child("httpStatus"), a.HTTPStatus, 200, 599)...)
		default:
			errs = append(errs, rule.OneOf(ap.Child("grpcStatus"), a.GRPCStatus, grpcStatusNames...)...)
		}
		errs = append(errs, rule.Percent(ap.Child("percent"), a.Percent)...)
	}
	return errs
}

func (c ConnectionPool) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.TCP == nil && c.HTTP == nil {
		errs = append(errs, rule.Missing(p, "tcp, http or both")...)
	}
	if t := c.TCP; t != nil {
		errs = append(errs, rule.Int32AtLeast(p.Child("tcp", "maxConnections"), t.MaxConnections, 0)...)
		errs = append(errs, duration(p.Child("tcp", "connectTimeout"), t.ConnectTimeout)...)
	}
	if h := c.HTTP; h != nil {
		hp := p.Child("http")
		errs = append(errs, rule.Int32AtLeast(hp.Child("http1MaxPendingRequests"), h.HTTP1MaxPendingRequests, 0)...)
		errs = append(errs, rule.Int32AtLeast(hp.Child("http2MaxRequests"), h.HTTP2MaxRequests, 0)...)
		errs = append(errs, rule.Int32AtLeast(hp.Child("maxRequestsPerConnection"), h.MaxRequestsPerConnection, 0)...)
		errs = append(errs, rule.Int32AtLeast(hp.Child("maxRetries"), h.MaxRetries, 0)...)
	}
	return errs
}

// duration refuses what is not "" or a Go duration of at least 1ms
// (time.ParseDuration's form: 500ms, 2s, 5m).
func duration(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minIstioDuration {
		return rule.Refuse(p, v, "a duration of at least 1ms (e.g. 500ms, 2s, 5m)")
	}
	return nil
}

// retryOnConditions are the conditions Istio's validation accepts in
// retryOn besides HTTP status codes: Envoy's x-envoy-retry-on and
// x-envoy-retry-grpc-on policies.
var retryOnConditions = []string{
	"5xx", "gateway-error", "reset", "connect-failure", "envoy-ratelimited", "retriable-4xx",
	"refused-stream", "retriable-status-codes", "retriable-headers", "reset-before-request", "http3-post-connect-failure",
	"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

// grpcRetryOn are the retryOn conditions gRPC clients act on (gRFC A44):
// the others are Envoy's alone.
var grpcRetryOn = []string{"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"}

func retryOn(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return nil
	}
	var errs field.ErrorList
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if isStatusCode(c) || contains(retryOnConditions, c) {
			continue
		}
		errs = append(errs, rule.Refuse(p, c, "comma-separated conditions, each an HTTP status code or one of "+strings.Join(retryOnConditions, ", "))...)
	}
	return errs
}

func isStatusCode(s string) bool {
	var n int
	_, err := fmt.Sscanf(s, "%3d", &n)
	return err == nil && len(s) == 3 && n >= 100 && n <= 599
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// grpcStatusNames are the gRPC status codes as Istio's grpcStatus names them.
var grpcStatusNames = []string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
	"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// HopVersionName is the Deployment of a hop's version: service-<hop>-<version>.
func HopVersionName(hop, version string) string { return HopServiceName(hop) + "-" + version }

// ProxylessIgnored are the traffic settings a proxyless gRPC caller does
// not act on, as keys with the reason: istiod's gRPC generator sends
// outlier detection to no gRPC client and of the connection pool only
// http2MaxRequests (gRFC A32's max_requests); gRPC-Go retries on gRPC
// status conditions alone (gRFC A44) and has no per-try timeout. They
// still apply to Envoy callers (the ingress gateway calling the first
// hop), so they are kept and the user is told, not refused.
func (s SampleChainSpec) ProxylessIgnored() []string {
	if s.Transport != ChainTransportGRPC {
		return nil
	}
	var out []string
	for _, hop := range s.Hops {
		t := s.trafficOf(hop)
		key := func(path string) string { return fmt.Sprintf("chain:traffic.%s.%s", hop, path) }
		if t.OutlierDetection != nil {
			out = append(out, key("outlierDetection")+": istiod sends no outlier detection to proxyless gRPC clients")
		}
		if c := t.ConnectionPool; c != nil {
			if c.TCP != nil {
				out = append(out, key("connectionPool.tcp")+": gRPC clients take only connectionPool.http.http2MaxRequests")
			}
			if h := c.HTTP; h != nil && (h.HTTP1MaxPendingRequests != 0 || h.MaxRequestsPerConnection != 0 || h.MaxRetries != 0) {
				out = append(out, key("connectionPool.http")+": gRPC clients take only http2MaxRequests of it")
			}
		}
		if r := t.Retries; r != nil {
			if r.PerTryTimeout != "" {
				out = append(out, key("retries.perTryTimeout")+": gRPC clients have no per-try timeout")
			}
			for _, c := range strings.Split(r.RetryOn, ",") {
				if c = strings.TrimSpace(c); c != "" && !contains(grpcRetryOn, c) {
					out = append(out, key("retries.retryOn")+": gRPC clients retry on "+strings.Join(grpcRetryOn, ", ")+" only, not "+c)
				}
			}
		}
	}
	return out
}
