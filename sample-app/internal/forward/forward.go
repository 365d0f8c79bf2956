// Package forward copies the request headers a user names (FORWARD_HEADERS)
// from the request a hop serves onto its call to the next hop.
//
// A route that matches on a header (an Istio VirtualService header match,
// as bookinfo's `end-user: jason`) holds at a hop only if the header
// arrives there, and the mesh does not copy a service's incoming headers
// onto the calls it makes: only the app can, as with x-request-id. So this
// package is built like requestid: the server side stores the headers in
// the request context (Middleware for HTTP, UnaryServerInterceptor for
// gRPC) and the client side sets them on the outgoing call (Transport,
// UnaryClientInterceptor). Both sides speak both transports, so a header
// that entered over HTTP leaves over gRPC and the other way round.
package forward

import (
	"context"
	"net/http"
	"slices"
)

// MaxValueBytes bounds one copied header value. The servers already
// bound a request's headers in total (64 KiB, as Envoy's default), so a
// hop never sends more than it received; this bound keeps a caller from
// making every hop of the chain carry tens of KiB per request in one
// value, and from sending a value that the next hop or a proxy on the way
// would refuse (8 KiB is the usual limit on one header line: Apache's
// LimitRequestFieldSize, nginx's large_client_header_buffers), failing
// the whole chain there. A larger value is skipped, not cut: a cut value
// could match a route the whole one does not.
const MaxValueBytes = 8 << 10

// Headers copies the named headers. Its zero value copies none.
type Headers struct {
	names []name
}

// name is one header's two spellings.
type name struct {
	// metadata is the lower-case name: gRPC metadata's key, and the name
	// kept in the context.
	metadata string
	// canonical is the name as net/http keys its Header map.
	canonical string
}

// field is one header to forward with the values it arrived with.
type field struct {
	name
	values []string
}

// New returns Headers copying names, which config.FromEnv validated:
// header names of [0-9a-z-_.], none that another part of the hop sends.
func New(names []string) *Headers {
	h := &Headers{names: make([]name, len(names))}
	for i, n := range names {
		h.names[i] = name{metadata: n, canonical: http.CanonicalHeaderKey(n)}
	}
	return h
}

// collect returns the configured headers that values(name) finds, with
// the values that may be copied; nil when there is none.
//
// Every value is kept, in order, not just the first: Envoy (since
// CVE-2020-25017) and gRPC-Go's xDS routing (gRFC A28) match a route
// against all of a header's values joined with ",", and gRPC metadata
// carries several values per key as HTTP does several header lines, so
// copying all is what keeps the route match at the next hop the same as
// at this one. A caller cannot gain by it: the values are what it sent.
func (h *Headers) collect(values func(name) []string) []field {
	var fields []field
	for _, n := range h.names {
		var kept []string
		for _, v := range values(n) {
			if copyable(v) {
				kept = append(kept, v)
			}
		}
		if len(kept) > 0 {
			fields = append(fields, field{name: n, values: kept})
		}
	}
	return fields
}

// copyable reports whether a value may be copied: at most MaxValueBytes
// of printable ASCII. gRPC-Go fails a call whose metadata holds any other
// byte (even a tab, or UTF-8 that HTTP/1.1 lets through), so a value only
// one transport could carry is skipped instead of failing the chain.
func copyable(v string) bool {
	if len(v) > MaxValueBytes {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

type contextKey struct{}

// newContext returns ctx carrying fields.
func newContext(ctx context.Context, fields []field) context.Context {
	return context.WithValue(ctx, contextKey{}, fields)
}

// fromContext returns the fields in ctx, if any.
func fromContext(ctx context.Context) []field {
	fields, _ := ctx.Value(contextKey{}).([]field)
	return fields
}

// Middleware stores the configured headers of the request in its context.
// A request without any of them passes unchanged.
func (h *Headers) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Both of net/http's servers key the map by canonical name.
		fields := h.collect(func(n name) []string { return r.Header[n.canonical] })
		if fields != nil {
			r = r.WithContext(newContext(r.Context(), fields))
		}
		next.ServeHTTP(w, r)
	})
}

// Transport is an http.RoundTripper that sets the headers stored in the
// request's context on outgoing requests.
type Transport struct {
	Base http.RoundTripper
}

// NewTransport wraps base (http.DefaultTransport when nil).
func NewTransport(base http.RoundTripper) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Base: base}
}

// RoundTrip implements http.RoundTripper. The caller's request is not
// modified (RoundTripper contract): a clone carries the headers. A header
// the request already has is replaced: the user asked for the incoming
// value to go on.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if fields := fromContext(r.Context()); len(fields) > 0 {
		r = r.Clone(r.Context())
		for _, f := range fields {
			// A copy: the stored values are shared by every call this
			// request makes, and a transport further down may change its
			// request's headers.
			r.Header[f.canonical] = slices.Clone(f.values)
		}
	}
	return t.Base.RoundTrip(r)
}

// CloseIdleConnections passes the call on to Base, so that
// http.Client.CloseIdleConnections still reaches the connection pool.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.Base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
