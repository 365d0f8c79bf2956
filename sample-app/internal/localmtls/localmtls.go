// Package localmtls issues mTLS credentials the way a mesh's CA hands them
// to workloads, for runs without a mesh (loadgen's grpc-mtls transport,
// tests): a throwaway CA and, per workload, a certificate that names its
// SPIFFE identity as istiod's CA does (a URI SAN
// spiffe://<trust domain>/ns/<namespace>/sa/<service account>), valid for
// a day like istiod's. Each side requires and verifies the other's
// certificate against the CA, as under STRICT mTLS.
//
// Keys are ECDSA P-256 (istiod's default is RSA 2048): the handshake
// happens once per connection, and what a request pays on an established
// connection, the record encryption, is the same.
package localmtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"

	"google.golang.org/grpc/credentials"
)

// validity is how long a certificate is valid: istiod's default workload
// certificate lifetime.
const validity = 24 * time.Hour

// CA signs workload certificates.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

// NewCA makes a CA whose key lives only in memory.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"cluster.local"}},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{cert: cert, key: key, pool: pool}, nil
}

// SPIFFEID is a workload's identity as Istio names it.
func SPIFFEID(trustDomain, namespace, serviceAccount string) string {
	return fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", trustDomain, namespace, serviceAccount)
}

// Credentials are the gRPC server and client credentials of the workload
// named by spiffeID, serving on loopback.
func (ca *CA) Credentials(spiffeID string) (server, client credentials.TransportCredentials, err error) {
	cert, err := ca.issue(spiffeID)
	if err != nil {
		return nil, nil, err
	}
	server = credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.pool,
		MinVersion:   tls.VersionTLS12,
	})
	client = credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      ca.pool,
		MinVersion:   tls.VersionTLS12,
	})
	return server, client, nil
}

// issue signs a certificate for spiffeID, usable as server and client,
// valid for the loopback addresses the local servers listen on.
func (ca *CA) issue(spiffeID string) (tls.Certificate, error) {
	id, err := url.Parse(spiffeID)
	if err != nil || id.Scheme != "spiffe" {
		return tls.Certificate{}, fmt.Errorf("identity %q is not a spiffe:// URI", spiffeID)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:         []*url.URL{id},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
