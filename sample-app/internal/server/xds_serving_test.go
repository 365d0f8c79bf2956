package server

// An internal test: the gate is driven through its serving-mode callback
// by hand, as an xds.GRPCServer would; no xDS control plane runs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/xds"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
)

func TestReadinessWaitsForXDSServingMode(t *testing.T) {
	cfg, err := config.FromEnv(config.MapLookup(map[string]string{"SERVICE_TYPE": "B", "TRANSPORT": "grpc"}))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	s, err := New(Deps{Config: cfg, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Ready() {
		t.Fatal("a plain gRPC server (no bootstrap) must not wait for xDS")
	}
	// What New sets up when a bootstrap is configured.
	s.xdsServing = newXDSServingGate(logger)

	addr := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 8001}
	listenerGone := errors.New("listener resource removed")
	steps := []struct {
		name       string
		change     *xds.ServingModeChangeArgs // nil: none, as at start
		draining   bool
		wantStatus int
		wantBody   string
	}{
		{"no listener from istiod yet", nil, false, 503, statusWaitingForXDS},
		{"starting", &xds.ServingModeChangeArgs{Mode: connectivity.ServingModeStarting}, false, 503, statusWaitingForXDS},
		{"listener unusable", &xds.ServingModeChangeArgs{Mode: connectivity.ServingModeNotServing, Err: errors.New("bad filter chain")}, false, 503, statusWaitingForXDS},
		{"serving", &xds.ServingModeChangeArgs{Mode: connectivity.ServingModeServing}, false, 200, "ready"},
		{"listener withdrawn", &xds.ServingModeChangeArgs{Mode: connectivity.ServingModeNotServing, Err: listenerGone}, false, 503, statusWaitingForXDS},
		{"serving again", &xds.ServingModeChangeArgs{Mode: connectivity.ServingModeServing}, false, 200, "ready"},
		{"draining wins", nil, true, 503, "draining"},
	}
	for _, step := range steps {
		if step.change != nil {
			s.xdsServing.onModeChange(addr, *step.change)
		}
		if step.draining {
			s.draining.Store(true)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		var body statusResponse
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != step.wantStatus || body.Status != step.wantBody {
			t.Errorf("%s: /readyz %d %q, want %d %q", step.name, rec.Code, body.Status, step.wantStatus, step.wantBody)
		}
		if s.Ready() != (step.wantStatus == 200) {
			t.Errorf("%s: Ready() = %v", step.name, s.Ready())
		}
	}

	// Every change is logged, with the mode and, when not serving, why.
	var changes []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err == nil && rec["msg"] == "gRPC xDS serving mode changed" {
			changes = append(changes, rec)
		}
	}
	wantModes := []string{"STARTING", "NOT_SERVING", "SERVING", "NOT_SERVING", "SERVING"}
	if len(changes) != len(wantModes) {
		t.Fatalf("%d mode changes logged, want %d:\n%s", len(changes), len(wantModes), logs.String())
	}
	for i, want := range wantModes {
		if changes[i]["mode"] != want || changes[i]["addr"] != "10.0.0.7:8001" {
			t.Errorf("change %d logged as %v, want mode %s", i, changes[i], want)
		}
	}
	if changes[3]["error"] != listenerGone.Error() || changes[3]["level"] != "WARN" {
		t.Errorf("withdrawal logged as %v, want a warning with its error", changes[3])
	}
}
