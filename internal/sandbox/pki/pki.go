// Package pki makes the sandbox's certificates with crypto/x509: one CA,
// a serving certificate for the API server and the kubelet, a client
// certificate per user of the API, and the service-account signing key.
// Each is made once and kept in the PKI directory; an existing one is
// reused, so a restart keeps every kubeconfig valid.
//
// Keys are ECDSA P-256, which every component accepts (Kubernetes signs
// service-account tokens with ES256 from such a key).
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/atomicfile"
)

// validity is long enough that no sandbox outlives its certificates.
const validity = 10 * 365 * 24 * time.Hour

// Cert is one certificate to make.
type Cert struct {
	// Name is the file name: <Name>.crt and <Name>.key.
	Name string
	// CommonName and Organization are the user and group Kubernetes reads.
	CommonName   string
	Organization []string
	// IPs and DNSNames make it a serving certificate as well.
	IPs      []net.IP
	DNSNames []string
}

// Dir is a PKI directory.
type Dir struct {
	Path string
	ca   *x509.Certificate
	key  crypto.Signer
}

// Open makes the directory (0700) and its CA, or reads the CA there.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o700); err != nil {
		return nil, err
	}
	d := &Dir{Path: path}
	ca, key, err := d.read("ca")
	if errors.Is(err, fs.ErrNotExist) {
		ca, key, err = d.makeCA()
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox CA in %s: %w", path, err)
	}
	d.ca, d.key = ca, key
	return d, nil
}

// CAFile is the CA certificate's file.
func (d *Dir) CAFile() string { return d.File("ca", ".crt") }

// File is a file of the directory: <name><ext>.
func (d *Dir) File(name, ext string) string { return filepath.Join(d.Path, name+ext) }

// CAPEM is the CA certificate, PEM-encoded.
func (d *Dir) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.ca.Raw})
}

func (d *Dir) makeCA() (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl, err := template(pkix.Name{CommonName: "play-kubernetes-sandbox-ca"})
	if err != nil {
		return nil, nil, err
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	if err := d.write("ca", der, key); err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

// Ensure makes the certificate unless it exists, signed by the CA.
func (d *Dir) Ensure(c Cert) error {
	if _, err := os.Stat(d.File(c.Name, ".crt")); err == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl, err := template(pkix.Name{CommonName: c.CommonName, Organization: c.Organization})
	if err != nil {
		return err
	}
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if len(c.IPs) > 0 || len(c.DNSNames) > 0 {
		tmpl.IPAddresses, tmpl.DNSNames = c.IPs, c.DNSNames
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, d.ca, key.Public(), d.key)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", c.Name, err)
	}
	return d.write(c.Name, der, key)
}

// EnsureKeyPair makes a bare key pair unless it exists (<name>.key,
// <name>.pub): the service-account signing key.
func (d *Dir) EnsureKeyPair(name string) error {
	if _, err := os.Stat(d.File(name, ".pub")); err == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := writeKey(d.File(name, ".key"), key); err != nil {
		return err
	}
	return atomicfile.Write(d.File(name, ".pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

func template(subject pkix.Name) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
	}, nil
}

// write stores the key first and the certificate last: the certificate's
// presence is what Ensure checks.
func (d *Dir) write(name string, der []byte, key *ecdsa.PrivateKey) error {
	if err := writeKey(d.File(name, ".key"), key); err != nil {
		return err
	}
	return atomicfile.Write(d.File(name, ".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeKey(file string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return atomicfile.Write(file, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

func (d *Dir) read(name string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(d.File(name, ".crt"))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(d.File(name, ".key"))
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s: not PEM", name)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := parseKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s.key: %w", name, err)
	}
	return cert, key, nil
}

// parseKey reads an EC key, or a PKCS#1/PKCS#8 key an older sandbox's
// openssl wrote.
func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("not a signing key")
	}
	return s, nil
}
