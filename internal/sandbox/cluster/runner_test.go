package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCheckOrder(t *testing.T) {
	tests := []struct {
		name    string
		comps   []Component
		wantErr string
	}{
		{"ordered", []Component{{Name: "a"}, {Name: "b", After: []string{"a"}}}, ""},
		{"a dependency listed later", []Component{{Name: "b", After: []string{"a"}}, {Name: "a"}}, `component b waits for "a", which is not listed before it`},
		{"an unknown dependency", []Component{{Name: "a", After: []string{"x"}}}, `waits for "x"`},
		{"twice", []Component{{Name: "a"}, {Name: "a"}}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOrder(tt.comps)
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("checkOrder = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestRunWaitsForDependencies: a component starts only once every one it
// waits for is ready, independent ones start together, and the first
// failure stops the rest and is returned.
func TestRunWaitsForDependencies(t *testing.T) {
	sb := &Sandbox{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var mu sync.Mutex
	var order []string
	step := func(name string, d time.Duration, err error) func(context.Context) error {
		return func(ctx context.Context) error {
			time.Sleep(d)
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return err
		}
	}
	comps := []Component{
		{Name: "etcd", Run: step("etcd", 30*time.Millisecond, nil)},
		{Name: "containerd", Run: step("containerd", 0, nil)},
		{Name: "apiserver", After: []string{"etcd"}, Run: step("apiserver", 0, nil)},
		{Name: "kubelet", After: []string{"apiserver", "containerd"}, Run: step("kubelet", 0, nil)},
	}
	if err := sb.run(context.Background(), comps); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "containerd,etcd,apiserver,kubelet" {
		t.Errorf("order %s: containerd waits for nothing, apiserver for etcd, kubelet for both", got)
	}

	order = nil
	boom := errors.New("port in use")
	comps[0].Run = step("etcd", 0, boom)
	err := sb.run(context.Background(), comps)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "etcd") {
		t.Errorf("run = %v, want etcd's error", err)
	}
	for _, c := range order {
		if c == "apiserver" || c == "kubelet" {
			t.Errorf("%s ran after etcd failed: %v", c, order)
		}
	}
}

// TestComponentListsAreOrdered: both modes' lists pass the runner's check,
// and every daemon of the real node has a stop stage before the API
// server's, which stops before etcd.
func TestComponentListsAreOrdered(t *testing.T) {
	for _, mode := range []string{"real", "kwok"} {
		s, err := ReadSettings([]string{"SANDBOX_MODE=" + mode})
		if err != nil {
			t.Fatal(err)
		}
		sb := &Sandbox{Settings: s}
		comps := sb.Components()
		if err := checkOrder(comps); err != nil {
			t.Errorf("%s: %v", mode, err)
		}
		stage := map[string]int{}
		for _, c := range comps {
			stage[c.Name] = c.Stop
		}
		if !(stage["kube-apiserver"] < stage["etcd"]) || !(stage["kube-controller-manager"] < stage["kube-apiserver"]) {
			t.Errorf("%s: stop stages %v: the API's clients before the API server before etcd", mode, stage)
		}
		if mode == "real" && !(stage["kubelet"] < stage["containerd"]) {
			t.Errorf("real: the kubelet (which restarts containers) must stop before containerd: %v", stage)
		}
	}
}
