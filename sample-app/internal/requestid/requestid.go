// Package requestid carries the x-request-id header across hops.
//
// x-request-id is not a trace-context header in OpenTelemetry, so no
// propagator handles it. Envoy (and so Istio) generates it at the edge and
// uses it to tie access logs and traces together; every hop must pass the
// same value on. The server side stores it in the request context
// (Middleware); the client side copies it from the context onto outgoing
// requests (Transport), so handlers never copy headers by hand.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Header is the header name, in canonical form.
const Header = "X-Request-Id"

// maxLen bounds accepted incoming ids; Envoy's are 36-character UUIDs.
const maxLen = 128

type contextKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, contextKey{}, id)
}

// FromContext returns the request id in ctx, if any.
func FromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(contextKey{}).(string)
	return id, ok && id != ""
}

// New returns a random (version 4) UUID, the format Envoy generates.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error since Go 1.24.
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// Valid reports whether an incoming id is safe to adopt: non-empty, bounded
// and printable ASCII without spaces, so it cannot break log lines or
// header syntax when passed on.
func Valid(id string) bool {
	if id == "" || len(id) > maxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// Middleware adopts the incoming x-request-id (or generates one when it is
// absent or invalid), stores it in the request context and echoes it in the
// response so callers can quote it.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !Valid(id) {
			id = New()
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), id)))
	})
}

// Transport is an http.RoundTripper that sets x-request-id on outgoing
// requests from the request's context.
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
// modified (RoundTripper contract): a clone carries the header.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if id, ok := FromContext(r.Context()); ok && r.Header.Get(Header) != id {
		r = r.Clone(r.Context())
		r.Header.Set(Header, id)
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
