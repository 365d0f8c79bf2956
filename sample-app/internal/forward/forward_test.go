package forward

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// configured is what the tests forward: FORWARD_HEADERS=end-user,x-canary.
var configured = []string{"end-user", "x-canary"}

// asMap is fields keyed by lower-case name; nil for none.
func asMap(fields []field) map[string][]string {
	if fields == nil {
		return nil
	}
	m := map[string][]string{}
	for _, f := range fields {
		m[f.metadata] = f.values
	}
	return m
}

// incomingCases are the headers a hop receives, keyed by lower-case name,
// and what it must keep for the next hop. Shared by both transports: the
// server sides must agree.
var incomingCases = []struct {
	name     string
	incoming map[string][]string
	want     map[string][]string // nil: nothing stored
}{
	{"nothing sent", nil, nil},
	{"only unlisted headers", map[string][]string{"x-other": {"1"}, "cookie": {"a=b"}}, nil},
	{"listed header kept, unlisted dropped",
		map[string][]string{"end-user": {"jason"}, "x-other": {"1"}},
		map[string][]string{"end-user": {"jason"}}},
	{"both listed headers",
		map[string][]string{"end-user": {"jason"}, "x-canary": {"true"}},
		map[string][]string{"end-user": {"jason"}, "x-canary": {"true"}}},
	{"every value, in order",
		map[string][]string{"end-user": {"jason", "kim"}},
		map[string][]string{"end-user": {"jason", "kim"}}},
	{"empty value kept (a presence match sees it)",
		map[string][]string{"x-canary": {""}},
		map[string][]string{"x-canary": {""}}},
	{"value of MaxValueBytes kept",
		map[string][]string{"end-user": {strings.Repeat("j", MaxValueBytes)}},
		map[string][]string{"end-user": {strings.Repeat("j", MaxValueBytes)}}},
	{"larger value skipped, the other kept",
		map[string][]string{"end-user": {strings.Repeat("j", MaxValueBytes+1), "jason"}},
		map[string][]string{"end-user": {"jason"}}},
	{"only a larger value: header not stored",
		map[string][]string{"end-user": {strings.Repeat("j", MaxValueBytes+1)}},
		nil},
	{"value gRPC cannot carry skipped (tab, UTF-8)",
		map[string][]string{"end-user": {"a\tb", "jasón", "jason"}},
		map[string][]string{"end-user": {"jason"}}},
}

func TestMiddleware(t *testing.T) {
	for _, tt := range incomingCases {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/service", nil)
			for k, vs := range tt.incoming {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			var got []field
			called := false
			New(configured).Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				called = true
				got = fromContext(r.Context())
			})).ServeHTTP(httptest.NewRecorder(), req)
			if !called {
				t.Fatal("next handler not called")
			}
			if m := asMap(got); !reflect.DeepEqual(m, tt.want) {
				t.Errorf("stored %v, want %v", m, tt.want)
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
		name      string
		stored    map[string][]string // in the context; nil = none
		header    http.Header         // already on the outgoing request
		want      http.Header         // sent
		wantClone bool
	}{
		{"nothing stored: request passed as is", nil,
			http.Header{"Accept": {"application/json"}},
			http.Header{"Accept": {"application/json"}}, false},
		{"stored headers set under canonical names, every value",
			map[string][]string{"end-user": {"jason", "kim"}, "x-canary": {"true"}},
			http.Header{"Accept": {"application/json"}},
			http.Header{"Accept": {"application/json"}, "End-User": {"jason", "kim"}, "X-Canary": {"true"}}, true},
		{"stored header replaces one already set",
			map[string][]string{"end-user": {"jason"}},
			http.Header{"End-User": {"stale"}},
			http.Header{"End-User": {"jason"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &captureTransport{}
			req := httptest.NewRequest(http.MethodGet, "http://next.invalid/service", nil)
			req.Header = tt.header.Clone()
			if tt.stored != nil {
				req = req.WithContext(newContext(req.Context(), storedFields(tt.stored)))
			}
			if _, err := NewTransport(base).RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(base.got.Header, tt.want) {
				t.Errorf("sent %v, want %v", base.got.Header, tt.want)
			}
			if (base.got != req) != tt.wantClone {
				t.Errorf("cloned = %v, want %v", base.got != req, tt.wantClone)
			}
			// RoundTripper contract: the caller's request is not modified.
			if !reflect.DeepEqual(req.Header, tt.header) {
				t.Errorf("caller's request headers changed to %v", req.Header)
			}
		})
	}
}

// storedFields builds what Middleware stores, in configured's order.
func storedFields(m map[string][]string) []field {
	var fields []field
	for _, n := range New(configured).names {
		if vs, ok := m[n.metadata]; ok {
			fields = append(fields, field{name: n, values: vs})
		}
	}
	return fields
}

// A transport further down that changes its request's headers must not
// change what the next call of the same request sends.
func TestTransportDoesNotShareStoredValues(t *testing.T) {
	ctx := newContext(context.Background(), storedFields(map[string][]string{"end-user": {"jason"}}))
	base := &captureTransport{}
	tr := NewTransport(base)
	for i := range 2 {
		req := httptest.NewRequest(http.MethodGet, "http://next.invalid/service", nil).WithContext(ctx)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if got := base.got.Header.Get("End-User"); got != "jason" {
			t.Fatalf("call %d sent end-user %q, want jason", i, got)
		}
		base.got.Header["End-User"][0] = "changed"
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
