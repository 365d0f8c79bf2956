package requestid

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewIsUniqueUUIDv4(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := New()
		if !uuidV4.MatchString(id) {
			t.Fatalf("New() = %q, not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string // header values; nil = header absent
		keep     bool     // the incoming id must be adopted
	}{
		{"absent: generated", nil, false},
		{"valid: adopted", []string{"7f1c0a4e-6d2b-4a51-9d6e-2f0c9b1e8a77"}, true},
		{"valid non-UUID (Envoy accepts any): adopted", []string{"req-123"}, true},
		{"empty: generated", []string{""}, false},
		{"with a space: generated", []string{"a b"}, false},
		{"control character: generated", []string{"a\x01b"}, false},
		{"non-ASCII: generated", []string{"idé"}, false},
		{"too long: generated", []string{strings.Repeat("x", 129)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen string
			h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id, ok := FromContext(r.Context())
				if !ok {
					t.Error("no request id in context")
				}
				seen = id
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tt.incoming != nil {
				req.Header[Header] = tt.incoming
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if tt.keep && seen != tt.incoming[0] {
				t.Errorf("context id = %q, want incoming %q", seen, tt.incoming[0])
			}
			if !tt.keep && !uuidV4.MatchString(seen) {
				t.Errorf("context id = %q, want a generated UUID", seen)
			}
			if got := rec.Header().Get(Header); got != seen {
				t.Errorf("response header = %q, want %q", got, seen)
			}
		})
	}
}

type captureTransport struct{ got *http.Request }

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.got = r
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

func TestTransport(t *testing.T) {
	tests := []struct {
		name       string
		ctxID      string // "" = none in context
		header     string // already on the outgoing request
		wantHeader string
		wantClone  bool
	}{
		{"id from context is set", "abc", "", "abc", true},
		{"context id overrides a different header", "abc", "stale", "abc", true},
		{"same id already set: request passed as is", "abc", "abc", "abc", false},
		{"no id in context: header left alone", "", "caller-set", "caller-set", false},
		{"no id anywhere", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &captureTransport{}
			req := httptest.NewRequest(http.MethodGet, "http://next.invalid/service", nil)
			if tt.ctxID != "" {
				req = req.WithContext(NewContext(req.Context(), tt.ctxID))
			}
			if tt.header != "" {
				req.Header.Set(Header, tt.header)
			}
			if _, err := NewTransport(base).RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if got := base.got.Header.Get(Header); got != tt.wantHeader {
				t.Errorf("sent header = %q, want %q", got, tt.wantHeader)
			}
			if (base.got != req) != tt.wantClone {
				t.Errorf("cloned = %v, want %v", base.got != req, tt.wantClone)
			}
			// RoundTripper contract: the caller's request is not modified.
			if got := req.Header.Get(Header); got != tt.header {
				t.Errorf("caller's request header changed to %q", got)
			}
		})
	}
}

type closeIdleCounter struct {
	captureTransport
	closed int
}

func (c *closeIdleCounter) CloseIdleConnections() { c.closed++ }

// http.Client.CloseIdleConnections must reach the pool through the wrapper.
func TestTransportPassesCloseIdleConnectionsOn(t *testing.T) {
	base := &closeIdleCounter{}
	client := &http.Client{Transport: NewTransport(base)}
	client.CloseIdleConnections()
	if base.closed != 1 {
		t.Errorf("base CloseIdleConnections called %d times, want 1", base.closed)
	}
}
