package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/play-kubernetes/play-kubernetes/components"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CheckMeshIdentity is the proxyless data plane's own check: every hop's
// gRPC port answers a TLS handshake with a certificate that istiod's CA
// signed for the hop's ServiceAccount (the SPIFFE identity its
// AuthorizationPolicies name).
const CheckMeshIdentity = "hops serve mTLS with their identity from istiod"

// rootCertConfigMap is the ConfigMap istiod writes into every namespace
// with its CA's root certificate (what pilot-agent trusts).
const (
	rootCertConfigMap = "istio-ca-root-cert"
	rootCertKey       = "root-cert.pem"
)

// transportNotGRPC skips the proxyless checks where the hops talk HTTP:
// their mTLS, if any, is Envoy's, which a port-forward into the pod
// cannot see.
func transportNotGRPC(t Target) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		if t.Transport == components.ChainTransportGRPC {
			return "", nil
		}
		return fmt.Sprintf("chain:transport is %s: the hops serve no mTLS of their own (proxyless gRPC is chain:transport grpc)", t.Transport), nil
	}
}

// hopsServeMeshIdentity opens a TLS connection to a ready pod of every hop
// on its gRPC port and checks the certificate it presents: signed by the
// root in istio-ca-root-cert, naming spiffe://<trust domain>/ns/<ns>/sa/<hop>.
// The hop then refuses the connection, as it must: STRICT mTLS wants a
// client certificate, and this check has none.
func hopsServeMeshIdentity(ctx context.Context, c *Cluster, t Target) (string, error) {
	cm, err := c.Kube.CoreV1().ConfigMaps(t.Namespace).Get(ctx, rootCertConfigMap, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("istiod's root certificate: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(cm.Data[rootCertKey])) {
		return "", fmt.Errorf("configmap %s/%s holds no PEM certificate in %s", t.Namespace, rootCertConfigMap, rootCertKey)
	}
	var seen []string
	for _, hop := range t.Hops {
		name := components.HopServiceName(hop)
		want := "spiffe://" + components.Principal(t.Namespace, name)
		base, stop, err := c.Forward(ctx, t.Namespace, name, t.GRPCPort)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		leaf, err := servedCertificate(ctx, base)
		stop()
		if err != nil {
			return "", fmt.Errorf("%s:%d: %w", name, t.GRPCPort, err)
		}
		if err := checkIdentity(leaf, roots, want); err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		seen = append(seen, fmt.Sprintf("%s %s (valid until %s)", name, want, leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	return strings.Join(seen, "; "), nil
}

// servedCertificate is the leaf certificate of the TLS server at base
// (http://127.0.0.1:<port>), read during the handshake: whether the
// server then accepts this client (it has no certificate) does not matter.
func servedCertificate(ctx context.Context, base string) (*x509.Certificate, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	var leaf *x509.Certificate
	cfg := &tls.Config{
		// The chain is verified below against istiod's root, by URI SAN:
		// SPIFFE certificates carry no DNS name to verify the usual way.
		InsecureSkipVerify: true,
		NextProtos:         []string{"h2"}, // gRPC-Go refuses TLS without ALPN h2
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no certificate")
			}
			c, err := x509.ParseCertificate(raw[0])
			leaf = c
			return err
		},
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", u.Host)
	if conn != nil {
		_ = conn.Close()
	}
	if leaf == nil {
		return nil, fmt.Errorf("no TLS certificate presented: %v", err)
	}
	return leaf, nil
}

// checkIdentity verifies leaf against roots (any intermediates are
// istiod's own: it signs directly) and requires the SPIFFE URI want.
func checkIdentity(leaf *x509.Certificate, roots *x509.CertPool, want string) error {
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("certificate not signed by istiod's root: %w", err)
	}
	var uris []string
	for _, u := range leaf.URIs {
		uris = append(uris, u.String())
		if u.String() == want {
			return nil
		}
	}
	return fmt.Errorf("certificate names %v, want %s", uris, want)
}
