package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/localmtls"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
)

// meshCredentials gives each hop of a chain its own identity from ca, as
// the mesh's CA would.
func meshCredentials(t testing.TB, ca *localmtls.CA) func(config.Config) hopOptions {
	return func(cfg config.Config) hopOptions {
		srv, client, err := ca.Credentials(localmtls.SPIFFEID("cluster.local", "playground", cfg.ServiceName))
		if err != nil {
			t.Fatal(err)
		}
		return hopOptions{grpcCredentials: &server.GRPCCredentials{Server: srv, Client: client}}
	}
}

// TestGRPCChainOverMTLS: with credentials from one CA the chain answers
// over mTLS, and a hop's gRPC port refuses a plaintext caller and a caller
// whose certificate another CA signed, as STRICT refuses them.
func TestGRPCChainOverMTLS(t *testing.T) {
	ca, err := localmtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	a, b, _ := startChain(t, "grpc", nil, meshCredentials(t, ca))
	status, body, _ := get(t, newTestClient(), a.URL+"/service", nil)
	if status != 200 || !strings.Contains(string(body), `"SERVICE_TYPE":"C"`) {
		t.Fatalf("/service through an mTLS chain: %d %s, want C's answer", status, body)
	}

	other, err := localmtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	_, strangerCreds, err := other.Credentials(localmtls.SPIFFEID("cluster.local", "playground", "intruder"))
	if err != nil {
		t.Fatal(err)
	}
	_, ownCreds, err := ca.Credentials(localmtls.SPIFFEID("cluster.local", "playground", "service-a"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		creds   credentials.TransportCredentials
		refused bool
	}{
		{"a certificate of the mesh's CA", ownCreds, false},
		{"plaintext", insecure.NewCredentials(), true},
		{"a certificate another CA signed", strangerCreds, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := grpc.NewClient(b.GRPCTarget, grpc.WithTransportCredentials(tt.creds))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = hoprpc.CallService(ctx, conn)
			if refused := err != nil; refused != tt.refused {
				t.Errorf("Hop/Service on B: %v, want refused %v", err, tt.refused)
			}
		})
	}
}
