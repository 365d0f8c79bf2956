package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Transport is how a hop calls the next one.
type Transport string

const (
	// TransportHTTP calls NEXT/service over HTTP/1.1 (the default; in the
	// mesh an Envoy sidecar carries it).
	TransportHTTP Transport = "http"
	// TransportGRPC calls the next hop's Hop/Service method over gRPC and
	// serves that method on GRPC_PORT: Istio's proxyless gRPC data plane,
	// where gRPC-Go's xDS client takes the sidecar's place.
	TransportGRPC Transport = "grpc"
)

// gRPC target schemes NEXT may use with TransportGRPC. xds resolves
// through the control plane (istiod); dns and passthrough are plaintext
// targets for local runs and tests. Other resolvers gRPC-Go knows (unix,
// ...) are refused: nothing here needs them, and a typo should not pass.
const (
	SchemeXDS         = "xds"
	SchemeDNS         = "dns"
	SchemePassthrough = "passthrough"
)

// grpcTargetForms is the accepted syntax, quoted in error messages.
const grpcTargetForms = "xds:///host:port (in the mesh), dns:///host:port or passthrough:///host:port"

// GRPCTarget is the next hop as a validated gRPC target URI.
type GRPCTarget struct {
	// Scheme is SchemeXDS, SchemeDNS or SchemePassthrough.
	Scheme string
	// Endpoint is host:port, the target's path without its slash.
	Endpoint string
}

// String is the target URI as gRPC-Go parses it.
func (t GRPCTarget) String() string { return t.Scheme + ":///" + t.Endpoint }

// UsesXDS reports whether the target is resolved (and secured) through xDS.
func (t GRPCTarget) UsesXDS() bool { return t.Scheme == SchemeXDS }

// readTransport reads TRANSPORT, GRPC_PORT and whether an xDS bootstrap is
// present. It reports whether TRANSPORT was valid, so that readNext knows
// whether NEXT can be checked against it.
func (r *envReader) readTransport(cfg *Config) bool {
	cfg.XDSBootstrapConfigured = r.get("GRPC_XDS_BOOTSTRAP") != "" || r.get("GRPC_XDS_BOOTSTRAP_CONFIG") != ""
	known := true
	switch v := r.get("TRANSPORT"); Transport(v) {
	case "", TransportHTTP:
		cfg.Transport = TransportHTTP
	case TransportGRPC:
		cfg.Transport = TransportGRPC
	default:
		r.fail(fmt.Errorf("TRANSPORT=%q: must be %s or %s", v, TransportHTTP, TransportGRPC))
		known = false
	}

	v := r.get("GRPC_PORT")
	if cfg.Transport == TransportHTTP {
		if v != "" {
			r.fail(fmt.Errorf("GRPC_PORT=%q: only read with TRANSPORT=%s (TRANSPORT is %s, which serves no gRPC): unset it or set TRANSPORT=%s",
				v, TransportGRPC, TransportHTTP, TransportGRPC))
		}
		return known
	}
	// TransportGRPC, or an unknown TRANSPORT: GRPC_PORT is still checked,
	// so one round reports every problem.
	port := DefaultGRPCPort
	if v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			r.fail(fmt.Errorf("GRPC_PORT=%q: must be a TCP port number between 1 and 65535", v))
			return known
		}
		port = p
	}
	if port == cfg.Port && !r.portInvalid {
		shown := fmt.Sprintf("GRPC_PORT=%q", v)
		if v == "" {
			shown = fmt.Sprintf("GRPC_PORT (unset, default %d)", DefaultGRPCPort)
		}
		r.fail(fmt.Errorf("%s: must differ from PORT (%d): HTTP and gRPC are served on separate ports", shown, cfg.Port))
		return known
	}
	if known {
		cfg.GRPCPort = port
	}
	return known
}

// readNext reads the next hop, in the form the transport calls it; none
// ends the chain here. A NEXT in the other transport's form is refused
// with a message saying so, the most likely mistake when switching a
// deployment between the two. With an unknown TRANSPORT, NEXT is checked
// against the form it looks like.
func (r *envReader) readNext(cfg *Config, transportKnown bool) {
	v := r.get("NEXT")
	if v == "" {
		return
	}
	scheme, _, _ := strings.Cut(v, ":")
	looksGRPC := isGRPCScheme(scheme)
	looksHTTP := scheme == "http" || scheme == "https"

	if cfg.Transport == TransportGRPC || (!transportKnown && looksGRPC) {
		if transportKnown && looksHTTP {
			r.fail(fmt.Errorf("NEXT=%q: an http URL, but TRANSPORT=%s calls a gRPC target: %s", v, TransportGRPC, grpcTargetForms))
			return
		}
		t, err := parseGRPCTarget(v)
		switch {
		case err != nil:
			r.fail(fmt.Errorf("NEXT=%q: %w", v, err))
		case t.UsesXDS() && !cfg.XDSBootstrapConfigured:
			// Without a bootstrap every call would fail at run time;
			// refusing at start says why.
			r.fail(fmt.Errorf("NEXT=%q: an xds target needs an xDS bootstrap: GRPC_XDS_BOOTSTRAP or GRPC_XDS_BOOTSTRAP_CONFIG (Istio's grpc-agent injection sets them); use dns:/// or passthrough:/// outside the mesh", v))
		case transportKnown:
			cfg.NextGRPC = &t
		}
		return
	}
	if transportKnown && looksGRPC {
		r.fail(fmt.Errorf("NEXT=%q: a gRPC target, but TRANSPORT=%s calls an absolute http:// or https:// URL (e.g. http://service-b:8000); set TRANSPORT=%s to call the next hop over gRPC",
			v, TransportHTTP, TransportGRPC))
		return
	}
	u, err := parseHTTPURL(v)
	switch {
	case err != nil:
		r.fail(fmt.Errorf("NEXT=%q: %w", v, err))
	case transportKnown:
		cfg.Next = u
	}
}

func isGRPCScheme(s string) bool {
	return s == SchemeXDS || s == SchemeDNS || s == SchemePassthrough
}

// parseGRPCTarget accepts scheme:///host:port with one of the schemes
// above: an empty authority (the control plane, or the system's resolver,
// is the one configured), and a port, which Istio's xDS listener and
// cluster names include and gRPC's dns resolver would otherwise default
// to 443.
func parseGRPCTarget(raw string) (GRPCTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return GRPCTarget{}, fmt.Errorf("not a URI: %w", err)
	}
	switch {
	case !isGRPCScheme(u.Scheme):
		return GRPCTarget{}, errors.New("must be a gRPC target: " + grpcTargetForms)
	case u.Opaque != "" || !strings.HasPrefix(raw, u.Scheme+":///"):
		return GRPCTarget{}, fmt.Errorf("must be %s:///host:port (three slashes: no authority)", u.Scheme)
	case u.User != nil:
		return GRPCTarget{}, errors.New("must not contain user info")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return GRPCTarget{}, errors.New("must not contain a query or fragment")
	}
	endpoint := strings.TrimPrefix(u.Path, "/")
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil || host == "" || strings.Contains(endpoint, "/") {
		return GRPCTarget{}, fmt.Errorf("must be %s:///host:port with a host and a port", u.Scheme)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return GRPCTarget{}, fmt.Errorf("port %q out of range", port)
	}
	return GRPCTarget{Scheme: u.Scheme, Endpoint: endpoint}, nil
}
