// Package config reads and validates the sample app's configuration from
// environment variables. Every problem is reported at start-up, so a
// misconfigured pod fails fast (CrashLoopBackOff with a clear log line)
// instead of serving wrong answers.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults. They are exported so tests and documentation can refer to them.
const (
	DefaultPort              = 8000
	DefaultGRPCPort          = 8001
	DefaultNamespace         = "default"
	DefaultClusterDomain     = "cluster.local"
	DefaultDownstreamTimeout = 3 * time.Second
	// DefaultDrainDelay is how long /readyz reports 503 before the listener
	// closes, so that Kubernetes (and Envoy) stop routing new requests to a
	// terminating pod before it stops accepting them.
	DefaultDrainDelay = 2 * time.Second
	// DefaultShutdownTimeout bounds how long in-flight requests may take to
	// finish after the listener closed. Drain delay + shutdown timeout stays
	// below Kubernetes' default 30 s terminationGracePeriodSeconds.
	DefaultShutdownTimeout = 15 * time.Second
)

// Config is the validated configuration of one hop of the chain.
type Config struct {
	// ServiceType is the hop's name as given (A, B, C, ...).
	ServiceType string
	// ListenHost is the interface to bind; empty means all interfaces (what
	// a pod needs). Tests and local runs set 127.0.0.1.
	ListenHost string
	Port       int

	// Transport is how this hop calls the next one. With TransportGRPC the
	// hop also serves the Hop gRPC service on GRPCPort (0 with HTTP).
	Transport Transport
	GRPCPort  int
	// XDSBootstrapConfigured is true when GRPC_XDS_BOOTSTRAP or
	// GRPC_XDS_BOOTSTRAP_CONFIG is set (Istio's grpc-agent injection sets
	// the first). gRPC-Go reads the bootstrap itself; here it decides that
	// the gRPC server takes its listener, mTLS and RBAC from xDS.
	XDSBootstrapConfigured bool

	// Namespace and ClusterDomain form the hop's DNS name.
	Namespace     string
	ClusterDomain string

	// ServiceHost and ServicePort come from Kubernetes' env-var service
	// discovery (SERVICE_<TYPE>_SERVICE_HOST/PORT). nil means unset, which
	// the API reports as JSON null, like the tutorial's Python version.
	ServiceHost *string
	ServicePort *string
	// ServiceVersion is the version this pod runs (its `version` label,
	// e.g. v2, where a Service selects several Deployments of one hop),
	// reported as VERSION in the hop's answer so a user sees which version
	// a route picked. Empty leaves the key out: the tutorial's answer.
	ServiceVersion string

	// Next is the next hop's base URL (TransportHTTP), NextGRPC its gRPC
	// target (TransportGRPC); at most one is set, and neither makes this
	// hop the end of the chain.
	Next              *url.URL
	NextGRPC          *GRPCTarget
	DownstreamTimeout time.Duration
	// ForwardHeaders are the header names, lower-case, that the hop copies
	// from the request it serves onto its call to the next hop, so that a
	// route matching on them (an Istio VirtualService header match) holds
	// at every hop. Empty copies none.
	ForwardHeaders []string

	DrainDelay      time.Duration
	ShutdownTimeout time.Duration

	// ServiceName is the OpenTelemetry service.name resource attribute.
	ServiceName string
	// OTLPTracesURL is the full OTLP/HTTP traces URL (…/v1/traces); empty
	// disables export (trace context is still propagated).
	OTLPTracesURL string

	LogLevel slog.Level
}

// LookupFunc has the signature of os.LookupEnv; tests pass a map lookup.
type LookupFunc func(key string) (string, bool)

// MapLookup adapts a map to a LookupFunc.
func MapLookup(env map[string]string) LookupFunc {
	return func(key string) (string, bool) {
		v, ok := env[key]
		return v, ok
	}
}

// KubernetesServiceName is the name of the Kubernetes Service for a hop:
// "service-" + the lower-cased type, as the tutorial's manifests name them.
func KubernetesServiceName(serviceType string) string {
	return "service-" + strings.ToLower(serviceType)
}

// DiscoveryEnvPrefix is the prefix of the variables Kubernetes injects for a
// Service: the name upper-cased with '-' turned into '_'
// (service-a => SERVICE_A_SERVICE_HOST / SERVICE_A_SERVICE_PORT).
func DiscoveryEnvPrefix(serviceType string) string {
	name := KubernetesServiceName(serviceType)
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_SERVICE_"
}

// DNSName is the cluster-internal DNS name of the hop's Service.
func (c Config) DNSName() string {
	return KubernetesServiceName(c.ServiceType) + "." + c.Namespace + ".svc." + c.ClusterDomain
}

// ListenAddr is the address to bind.
func (c Config) ListenAddr() string {
	return net.JoinHostPort(c.ListenHost, strconv.Itoa(c.Port))
}

// GRPCListenAddr is the gRPC server's address ("" with TransportHTTP).
func (c Config) GRPCListenAddr() string {
	if c.Transport != TransportGRPC {
		return ""
	}
	return net.JoinHostPort(c.ListenHost, strconv.Itoa(c.GRPCPort))
}

// HasNext reports whether this hop calls a next one.
func (c Config) HasNext() bool { return c.Next != nil || c.NextGRPC != nil }

// NextServiceURL is the URL called by GET /service ("" when there is no next hop).
func (c Config) NextServiceURL() string {
	if c.Next == nil {
		return ""
	}
	u := *c.Next
	u.Path = strings.TrimSuffix(u.Path, "/") + "/service"
	u.RawPath = ""
	return u.String()
}

// FromEnv reads the configuration. All problems are collected and returned
// together (errors.Join) so a user fixes them in one round.
func FromEnv(lookup LookupFunc) (Config, error) {
	r := &envReader{lookup: lookup}
	cfg := Config{
		ListenHost:        r.get("LISTEN_HOST"),
		Port:              DefaultPort,
		Namespace:         DefaultNamespace,
		ClusterDomain:     DefaultClusterDomain,
		DownstreamTimeout: DefaultDownstreamTimeout,
		DrainDelay:        DefaultDrainDelay,
		ShutdownTimeout:   DefaultShutdownTimeout,
		LogLevel:          slog.LevelInfo,
	}
	r.readListener(&cfg)
	transportKnown := r.readTransport(&cfg)
	r.readNames(&cfg)
	r.readNext(&cfg, transportKnown)
	r.readForwardHeaders(&cfg)
	r.readDurations(&cfg)
	r.readTracing(&cfg)
	if v := r.get("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			r.fail(fmt.Errorf("LOG_LEVEL=%q: must be debug, info, warn or error", v))
		}
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// envReader reads trimmed variables and collects every problem, so that
// FromEnv reports them all at once, in the order the variables are read.
type envReader struct {
	lookup LookupFunc
	errs   []error
	// portInvalid: PORT was refused, so cfg.Port holds the default and
	// comparing GRPC_PORT with it would report a conflict that is not there.
	portInvalid bool
}

func (r *envReader) get(key string) string {
	v, _ := r.lookup(key)
	return strings.TrimSpace(v)
}

func (r *envReader) fail(err error) { r.errs = append(r.errs, err) }

// readListener reads the hop's name and where it listens.
func (r *envReader) readListener(cfg *Config) {
	cfg.ServiceType = r.get("SERVICE_TYPE")
	if err := validateServiceType(cfg.ServiceType); err != nil {
		r.fail(err)
	}
	if v := r.get("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			r.fail(fmt.Errorf("PORT=%q: must be a TCP port number between 1 and 65535", v))
			r.portInvalid = true
		} else {
			cfg.Port = p
		}
	}
	if cfg.ListenHost != "" && net.ParseIP(cfg.ListenHost) == nil {
		r.fail(fmt.Errorf("LISTEN_HOST=%q: must be an IP address (or unset for all interfaces)", cfg.ListenHost))
	}
}

// readNames reads what the hop's DNS name is made of, and the discovery
// variables Kubernetes set for its Service.
func (r *envReader) readNames(cfg *Config) {
	if v := r.get("POD_NAMESPACE"); v != "" {
		if !isDNSLabel(v) {
			r.fail(fmt.Errorf("POD_NAMESPACE=%q: must be a DNS label (lower-case letters, digits, '-')", v))
		} else {
			cfg.Namespace = v
		}
	}
	if v := r.get("CLUSTER_DOMAIN"); v != "" {
		cfg.ClusterDomain = strings.TrimSuffix(v, ".")
	}
	// A label value in Kubernetes may be up to 63 characters of more kinds
	// (upper case, '_', '.'); the version labels Istio's subsets select on
	// are DNS labels (v1, v2), and nothing else needs more.
	if v := r.get("SERVICE_VERSION"); v != "" {
		if !isDNSLabel(v) {
			r.fail(fmt.Errorf("SERVICE_VERSION=%q: must be a DNS label (lower-case letters, digits, '-', not at either end, at most 63 characters, e.g. v2), or unset", v))
		} else {
			cfg.ServiceVersion = v
		}
	}
	// Discovery variables are reported as found (null when missing); only
	// their presence matters, Kubernetes owns their content.
	if cfg.ServiceType != "" {
		prefix := DiscoveryEnvPrefix(cfg.ServiceType)
		if v, ok := r.lookup(prefix + "HOST"); ok {
			cfg.ServiceHost = &v
		}
		if v, ok := r.lookup(prefix + "PORT"); ok {
			cfg.ServicePort = &v
		}
	}
}

// readDurations reads the downstream timeout and the shutdown's timings.
func (r *envReader) readDurations(cfg *Config) {
	durations := []struct {
		key string
		dst *time.Duration
		min time.Duration
	}{
		{"DOWNSTREAM_TIMEOUT", &cfg.DownstreamTimeout, time.Millisecond},
		{"DRAIN_DELAY", &cfg.DrainDelay, 0},
		{"SHUTDOWN_TIMEOUT", &cfg.ShutdownTimeout, time.Millisecond},
	}
	for _, d := range durations {
		v := r.get(d.key)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < d.min {
			r.fail(fmt.Errorf("%s=%q: must be a Go duration (e.g. 3s, 500ms) of at least %s", d.key, v, d.min))
			continue
		}
		*d.dst = parsed
	}
}

// readTracing reads the OpenTelemetry service name and where spans go.
func (r *envReader) readTracing(cfg *Config) {
	cfg.ServiceName = r.get("OTEL_SERVICE_NAME")
	if cfg.ServiceName == "" && cfg.ServiceType != "" {
		cfg.ServiceName = KubernetesServiceName(cfg.ServiceType)
	}
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as-is; the generic
	// OTEL_EXPORTER_OTLP_ENDPOINT is a base URL that gets /v1/traces appended,
	// as the OpenTelemetry specification defines for OTLP/HTTP.
	if v := r.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		if _, err := parseHTTPURL(v); err != nil {
			r.fail(fmt.Errorf("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=%q: %w", v, err))
		} else {
			cfg.OTLPTracesURL = v
		}
	} else if v := r.get("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		if u, err := parseHTTPURL(v); err != nil {
			r.fail(fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT=%q: %w", v, err))
		} else {
			u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
			cfg.OTLPTracesURL = u.String()
		}
	}
}

// validateServiceType accepts what can become part of a Kubernetes Service
// name ("service-" + lower(type)) and of an env-var name.
func validateServiceType(t string) error {
	if t == "" {
		return errors.New("SERVICE_TYPE is not set: set it to the hop's name (e.g. A, B, C)")
	}
	if len("service-")+len(t) > 63 || !isDNSLabel(strings.ToLower(t)) {
		return fmt.Errorf("SERVICE_TYPE=%q: must be letters, digits and '-' (not at either end), at most 55 characters", t)
	}
	return nil
}

// isDNSLabel reports whether s is an RFC 1123 label (what Kubernetes
// requires for Service and namespace names).
func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// parseHTTPURL accepts an absolute http(s) URL with a host and nothing that
// cannot be part of a base URL (query, fragment, user info).
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("must be an absolute http:// or https:// URL (e.g. http://service-b:8000)")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("must include a host (e.g. http://service-b:8000)")
	case u.User != nil:
		return nil, errors.New("must not contain user info")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, errors.New("must not contain a query or fragment")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q out of range", p)
		}
	}
	return u, nil
}
