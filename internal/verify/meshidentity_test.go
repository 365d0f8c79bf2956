package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// testCA is a certificate authority standing in for istiod's.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"cluster.local"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert: cert, key: key}
}

func (ca testCA) pem() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))
}

// workloadCert is what istiod signs for a workload: no subject, its
// SPIFFE identity as the only URI SAN.
func (ca testCA) workloadCert(t *testing.T, spiffe string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(spiffe)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		URIs: []*url.URL{u}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// strictServer is a TLS server like a proxyless hop under STRICT: it
// presents cert and refuses every client without a certificate.
func strictServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAnyClientCert, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestMeshIdentity: the check passes only for hops whose gRPC port
// presents a certificate from the namespace's istiod root naming the
// hop's own ServiceAccount; a plaintext port fails it too.
func TestMeshIdentity(t *testing.T) {
	istiod, other := newTestCA(t), newTestCA(t)
	spiffe := func(sa string) string { return "spiffe://" + components.Principal(testNS, sa) }
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	go func() {
		for {
			c, err := plain.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tests := []struct {
		name       string
		serveB     string // the base URL service-b's forward reaches
		wantErr    string
		wantDetail string
	}{
		{name: "every hop its own identity", wantDetail: spiffe("service-b")},
		{name: "a hop with another's identity", serveB: strictServer(t, istiod.workloadCert(t, spiffe("service-a"))), wantErr: "want " + spiffe("service-b")},
		{name: "a hop signed by another CA", serveB: strictServer(t, other.workloadCert(t, spiffe("service-b"))), wantErr: "not signed by istiod's root"},
		{name: "a hop in plaintext", serveB: "http://" + plain.Addr().String(), wantErr: "no TLS certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			servers := map[string]string{}
			for _, hop := range []string{"service-a", "service-b", "service-c"} {
				servers[hop] = strictServer(t, istiod.workloadCert(t, spiffe(hop)))
			}
			if tt.serveB != "" {
				servers["service-b"] = tt.serveB
			}
			root := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: rootCertConfigMap}, Data: map[string]string{rootCertKey: istiod.pem()}}
			c := fakeCluster([]runtime.Object{root})
			var ports []int32
			c.Forward = func(_ context.Context, ns, svc string, port int32) (string, func(), error) {
				ports = append(ports, port)
				return servers[svc], func() {}, nil
			}
			target := testTarget
			target.Transport, target.GRPCPort = components.ChainTransportGRPC, 8001
			detail, err := hopsServeMeshIdentity(context.Background(), c, target)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(detail, tt.wantDetail) {
					t.Fatalf("detail %q, err %v; want a pass naming %s", detail, err, tt.wantDetail)
				}
				for _, p := range ports {
					if p != 8001 {
						t.Errorf("forwarded to port %d, want the gRPC port 8001", p)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "service-b") {
				t.Errorf("err = %v, want one naming service-b and %q", err, tt.wantErr)
			}
		})
	}
}
