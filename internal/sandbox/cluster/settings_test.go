package cluster

import (
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

func TestReadSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		check   func(t *testing.T, s Settings)
		wantErr string
	}{
		{"defaults", []string{"HOME=/root"}, func(t *testing.T, s Settings) {
			if s.Mode != record.Real || s.Netns != layout.DefaultNetns || s.APIServerPort != layout.APIServerPort || s.ServiceCIDR != layout.ServiceCIDR || len(s.Env) != 0 {
				t.Errorf("defaults: %+v", s)
			}
		}, ""},
		{"kwok mode takes loopback ranges", []string{"SANDBOX_MODE=kwok"}, func(t *testing.T, s Settings) {
			if s.ServiceCIDR != layout.KwokServiceCIDR || s.KwokPodCIDR != layout.KwokPodCIDR {
				t.Errorf("kwok ranges: %+v", s)
			}
		}, ""},
		{"every SANDBOX_ variable keys the sandbox", []string{"SANDBOX_B=1", "SANDBOX_A=2", "OTHER=3"}, func(t *testing.T, s Settings) {
			if strings.Join(s.Env, ",") != "SANDBOX_A=2,SANDBOX_B=1" {
				t.Errorf("Env = %v", s.Env)
			}
		}, ""},
		{"a port", []string{"SANDBOX_APISERVER_PORT=26443"}, func(t *testing.T, s Settings) {
			if s.APIServerPort != 26443 {
				t.Errorf("port %d", s.APIServerPort)
			}
		}, ""},
		{"an unknown mode", []string{"SANDBOX_MODE=vm"}, nil, `SANDBOX_MODE="vm" is not accepted; want real`},
		{"a port out of range", []string{"SANDBOX_ETCD_PORT=70000"}, nil, `SANDBOX_ETCD_PORT="70000" is not accepted; want a port`},
		{"a namespace name with a path in it", []string{"SANDBOX_NETNS=../etc"}, nil, `SANDBOX_NETNS: network namespace name "../etc" is not accepted`},
		{"a range that is none", []string{"SANDBOX_SERVICE_CIDR=10.96.0.0"}, nil, `SANDBOX_SERVICE_CIDR="10.96.0.0" is not accepted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSettings(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}
