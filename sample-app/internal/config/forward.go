package config

import (
	"fmt"
	"strings"
)

// forwardAccepted is what FORWARD_HEADERS accepts, quoted in its error.
const forwardAccepted = "comma-separated header names of letters, digits, '-', '_' and '.' (e.g. end-user), " +
	"except hop-by-hop headers, pseudo-headers, those the transports set themselves (host, content-type, content-length, user-agent, grpc-*, *-bin), " +
	"x-request-id and the trace-context headers (traceparent, tracestate, baggage, b3, x-b3-*), which every hop carries already"

// Reasons a header name is refused.
const (
	reasonHopByHop  = "a hop-by-hop header: it belongs to one connection, not to the request"
	reasonTransport = "set by the transports themselves"
	reasonGRPC      = "reserved by gRPC"
	reasonBinary    = "a binary gRPC header: its values are bytes an HTTP hop cannot carry as text"
	reasonRequestID = "carried already: every hop passes x-request-id on"
	reasonTrace     = "a trace-context header: the trace propagator carries it, with this hop's span"
)

// refusedHeaders are names FORWARD_HEADERS must not list, with why.
// Copying them would break a connection (hop-by-hop), be dropped or
// overwritten by net/http or gRPC-Go (transport), or fight with what
// another part of the hop sends (the request id, the trace context).
var refusedHeaders = map[string]string{
	"connection":          reasonHopByHop,
	"keep-alive":          reasonHopByHop,
	"proxy-authenticate":  reasonHopByHop,
	"proxy-authorization": reasonHopByHop,
	"proxy-connection":    reasonHopByHop,
	"te":                  reasonHopByHop,
	"trailer":             reasonHopByHop,
	"transfer-encoding":   reasonHopByHop,
	"upgrade":             reasonHopByHop,
	"host":                reasonTransport,
	"content-length":      reasonTransport,
	"content-type":        reasonTransport,
	"user-agent":          reasonTransport,
	"x-request-id":        reasonRequestID,
	"traceparent":         reasonTrace,
	"tracestate":          reasonTrace,
	"baggage":             reasonTrace,
	"b3":                  reasonTrace,
}

// readForwardHeaders reads FORWARD_HEADERS. Every bad name is named in
// one error, with why it is refused.
func (r *envReader) readForwardHeaders(cfg *Config) {
	v := r.get("FORWARD_HEADERS")
	if v == "" {
		return
	}
	var names, problems []string
	seen := map[string]bool{}
	for _, raw := range strings.Split(v, ",") {
		// Header names are case-insensitive; gRPC metadata keys are
		// lower-case, so that is the one spelling kept.
		name := strings.ToLower(strings.TrimSpace(raw))
		reason := forwardHeaderProblem(name)
		switch {
		case reason != "":
			problems = append(problems, fmt.Sprintf("%q: %s", strings.TrimSpace(raw), reason))
		case seen[name]:
			problems = append(problems, fmt.Sprintf("%q: listed twice", strings.TrimSpace(raw)))
		default:
			seen[name] = true
			names = append(names, name)
		}
	}
	if len(problems) > 0 {
		r.fail(fmt.Errorf("FORWARD_HEADERS=%q: %s; accepted: %s", v, strings.Join(problems, "; "), forwardAccepted))
		return
	}
	cfg.ForwardHeaders = names
}

// forwardHeaderProblem says why a lower-cased name cannot be forwarded,
// or "" when it can. A name must be a header name on both transports, as
// a header crosses from one to the other between hops: gRPC metadata keys
// allow only [0-9a-z-_.], a subset of HTTP's token characters (gRPC-Go
// fails a call whose metadata has any other), so that is the rule.
func forwardHeaderProblem(name string) string {
	switch {
	case name == "":
		return "an empty name"
	case name[0] == ':':
		return "a pseudo-header: the transport sets it"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' && c != '.' {
			return "not a header name of letters, digits, '-', '_' and '.'"
		}
	}
	if reason, ok := refusedHeaders[name]; ok {
		return reason
	}
	switch {
	case strings.HasPrefix(name, "grpc-"):
		return reasonGRPC
	case strings.HasSuffix(name, "-bin"):
		return reasonBinary
	case strings.HasPrefix(name, "x-b3-"):
		return reasonTrace
	}
	return ""
}
