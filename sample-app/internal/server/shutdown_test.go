package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
)

// TestGracefulShutdown: after shutdown begins, /readyz answers 503 while the
// listener is still open (drain delay), and a request already in flight
// completes with 200; then the listener closes and Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	next := fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = w.Write([]byte(`{"SERVICE_TYPE":"B"}`))
	})
	cfg := newConfig(t, map[string]string{
		"SERVICE_TYPE": "A", "NEXT": next,
		// The drain delay must outlast the /readyz check below, even on a
		// busy machine under the race detector.
		"DRAIN_DELAY": "1s", "SHUTDOWN_TIMEOUT": "5s", "DOWNSTREAM_TIMEOUT": "10s",
	})
	ln := listenLoopback(t)
	url := "http://" + ln.Addr().String()
	srv := newServer(t, server.Deps{Config: cfg})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, server.Listeners{HTTP: ln}) }()

	client := newTestClient()
	if status, _, _ := get(t, client, url+"/readyz", nil); status != http.StatusOK {
		t.Fatalf("readyz before shutdown: %d", status)
	}

	type result struct {
		status int
		body   string
	}
	inflight := make(chan result, 1)
	go func() {
		// A separate client: its connection is the in-flight one.
		resp, err := newTestClient().Get(url + "/service")
		if err != nil {
			inflight <- result{status: -1, body: err.Error()}
			return
		}
		defer resp.Body.Close()
		var buf [256]byte
		n, _ := resp.Body.Read(buf[:])
		inflight <- result{resp.StatusCode, string(buf[:n])}
	}()
	<-entered

	shutdownStarted := time.Now()
	cancel()

	// The drain delay keeps the listener open; readiness turns 503 within it.
	resp := readinessDuringDrain(t, client, url+"/readyz")
	// Clients are told to reconnect (elsewhere) instead of reusing the connection.
	if !resp.Close {
		t.Error("keep-alive still on during drain")
	}
	if srv.Ready() {
		t.Error("Ready() = true during drain")
	}

	// Let the slow request finish only after the drain delay, so it is in
	// flight while the listener closes.
	time.Sleep(time.Until(shutdownStarted.Add(1200 * time.Millisecond)))
	close(release)

	select {
	case r := <-inflight:
		if r.status != http.StatusOK || r.body != `{"SERVICE_TYPE":"B"}` {
			t.Errorf("in-flight request: %d %s, want 200 and the next hop's answer", r.status, r.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request did not complete")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the in-flight request completed")
	}
	if _, err := client.Get(url + "/healthz"); err == nil {
		t.Error("listener still accepts connections after shutdown")
	}
}

// TestShutdownTimeout: a request that outlives SHUTDOWN_TIMEOUT is cut and
// Serve reports it instead of hanging.
func TestShutdownTimeout(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	t.Cleanup(func() { close(release) })
	next := fakeNext(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	cfg := newConfig(t, map[string]string{
		"SERVICE_TYPE": "A", "NEXT": next, "DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "200ms", "DOWNSTREAM_TIMEOUT": "30s",
	})
	ln := listenLoopback(t)
	srv := newServer(t, server.Deps{Config: cfg})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, server.Listeners{HTTP: ln}) }()

	go func() {
		resp, err := newTestClient().Get("http://" + ln.Addr().String() + "/service")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Serve returned nil although a request was cut")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Serve took %s, want about the 200ms shutdown timeout", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve hung past the shutdown timeout")
	}
}

type closeIdleTransport struct {
	http.RoundTripper
	closed chan struct{}
}

func (c *closeIdleTransport) CloseIdleConnections() { close(c.closed) }

// TestShutdownClosesPooledConnections: a pooled connection to the next hop
// that was dialled but never used would make the next hop's own shutdown
// wait 5 s (net/http's rule for connections without a request), so Serve
// closes the pool when it stops. requestid's Transport does not pass
// CloseIdleConnections on; the server must reach the base transport itself.
func TestShutdownClosesPooledConnections(t *testing.T) {
	base := &closeIdleTransport{RoundTripper: server.NewDownstreamTransport(), closed: make(chan struct{})}
	cfg := newConfig(t, map[string]string{"SERVICE_TYPE": "A", "NEXT": "http://127.0.0.1:1"})
	srv := newServer(t, server.Deps{Config: cfg, Transport: base})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, server.Listeners{HTTP: listenLoopback(t)}) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-base.closed:
	default:
		t.Error("Serve returned without closing the pooled connections to the next hop")
	}
}
