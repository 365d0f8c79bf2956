package config

import (
	"testing"
)

func TestFromEnvTransport(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantGRPCPort int
		wantGRPCAddr string
		wantNext     string // the gRPC target as gRPC-Go gets it; "" = none
		wantEndpoint string
		wantXDS      bool // the target resolves through xDS
		wantServeXDS bool // a bootstrap is present: the server takes xDS
	}{
		{
			name:         "grpc, end of chain, defaults",
			env:          map[string]string{"SERVICE_TYPE": "C", "TRANSPORT": "grpc"},
			wantGRPCPort: 8001, wantGRPCAddr: ":8001",
		},
		{
			name:         "grpc with a passthrough target and own port",
			env:          map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "LISTEN_HOST": "127.0.0.1", "GRPC_PORT": "9001", "NEXT": "passthrough:///127.0.0.1:9002"},
			wantGRPCPort: 9001, wantGRPCAddr: "127.0.0.1:9001",
			wantNext: "passthrough:///127.0.0.1:9002", wantEndpoint: "127.0.0.1:9002",
		},
		{
			name:         "grpc with a dns target to an IPv6 literal",
			env:          map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns:///[::1]:8001"},
			wantGRPCPort: 8001, wantGRPCAddr: ":8001",
			wantNext: "dns:///[::1]:8001", wantEndpoint: "[::1]:8001",
		},
		{
			name: "grpc in the mesh: xds target, bootstrap file from the grpc-agent",
			env: map[string]string{
				"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "xds:///service-b.ns.svc.cluster.local:8001",
				"GRPC_XDS_BOOTSTRAP": "/etc/istio/proxy/grpc-bootstrap.json",
			},
			wantGRPCPort: 8001, wantGRPCAddr: ":8001",
			wantNext: "xds:///service-b.ns.svc.cluster.local:8001", wantEndpoint: "service-b.ns.svc.cluster.local:8001",
			wantXDS: true, wantServeXDS: true,
		},
		{
			name: "inline bootstrap counts too; PORT moved, default GRPC_PORT fine",
			env: map[string]string{
				"SERVICE_TYPE": "C", "TRANSPORT": "grpc", "PORT": "9000", "GRPC_XDS_BOOTSTRAP_CONFIG": `{"xds_servers":[]}`,
			},
			wantGRPCPort: 8001, wantGRPCAddr: ":8001", wantServeXDS: true,
		},
		{
			name: "grpc with a plaintext target beside a bootstrap",
			env: map[string]string{
				"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns:///service-b:8001",
				"GRPC_XDS_BOOTSTRAP": "/etc/istio/proxy/grpc-bootstrap.json",
			},
			wantGRPCPort: 8001, wantGRPCAddr: ":8001",
			wantNext: "dns:///service-b:8001", wantEndpoint: "service-b:8001", wantServeXDS: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(MapLookup(tt.env))
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if c.Transport != TransportGRPC || c.GRPCPort != tt.wantGRPCPort || c.GRPCListenAddr() != tt.wantGRPCAddr {
				t.Errorf("transport %q, gRPC port %d, addr %q; want grpc, %d, %q",
					c.Transport, c.GRPCPort, c.GRPCListenAddr(), tt.wantGRPCPort, tt.wantGRPCAddr)
			}
			if c.XDSBootstrapConfigured != tt.wantServeXDS {
				t.Errorf("XDSBootstrapConfigured = %v, want %v", c.XDSBootstrapConfigured, tt.wantServeXDS)
			}
			if c.Next != nil {
				t.Errorf("Next = %v, want no HTTP URL under grpc", c.Next)
			}
			if tt.wantNext == "" {
				if c.NextGRPC != nil || c.HasNext() {
					t.Errorf("NextGRPC = %v, want end of chain", c.NextGRPC)
				}
				return
			}
			if c.NextGRPC == nil || !c.HasNext() {
				t.Fatalf("NextGRPC = nil, want %s", tt.wantNext)
			}
			if got := c.NextGRPC.String(); got != tt.wantNext {
				t.Errorf("NextGRPC = %q, want %q", got, tt.wantNext)
			}
			if c.NextGRPC.Endpoint != tt.wantEndpoint || c.NextGRPC.UsesXDS() != tt.wantXDS {
				t.Errorf("endpoint %q (xds %v), want %q (xds %v)", c.NextGRPC.Endpoint, c.NextGRPC.UsesXDS(), tt.wantEndpoint, tt.wantXDS)
			}
		})
	}
}

// TestFromEnvHTTPUnchanged: an explicit TRANSPORT=http is the default.
func TestFromEnvHTTPUnchanged(t *testing.T) {
	for _, transport := range []string{"", "http"} {
		c, err := FromEnv(MapLookup(map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": transport, "NEXT": "http://service-b:8000"}))
		if err != nil {
			t.Fatalf("TRANSPORT=%q: %v", transport, err)
		}
		if c.Transport != TransportHTTP || c.GRPCPort != 0 || c.NextGRPC != nil || c.NextServiceURL() != "http://service-b:8000/service" {
			t.Errorf("TRANSPORT=%q: %+v", transport, c)
		}
	}
}
