package pki

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"testing"
)

func readCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(raw)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCertificatesChainToTheCA: a serving certificate verifies for its
// names and addresses, a client certificate for client auth with the
// user and group Kubernetes reads, and a second Open keeps both.
func TestCertificatesChainToTheCA(t *testing.T) {
	path := t.TempDir() + "/pki"
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Ensure(Cert{Name: "apiserver", CommonName: "kube-apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"kubernetes.default.svc"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Ensure(Cert{Name: "admin", CommonName: "sandbox-admin", Organization: []string{"system:masters"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.EnsureKeyPair("sa"); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, d.CAFile()))
	server := readCert(t, d.File("apiserver", ".crt"))
	for _, name := range []string{"127.0.0.1", "kubernetes.default.svc"} {
		if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("serving certificate for %s: %v", name, err)
		}
	}
	admin := readCert(t, d.File("admin", ".crt"))
	if _, err := admin.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if admin.Subject.CommonName != "sandbox-admin" || len(admin.Subject.Organization) != 1 || admin.Subject.Organization[0] != "system:masters" {
		t.Errorf("admin subject %v", admin.Subject)
	}
	if info, err := os.Stat(d.File("admin", ".key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("admin key mode %v, %v; want 0600", info.Mode(), err)
	}

	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Ensure(Cert{Name: "admin", CommonName: "other"}); err != nil {
		t.Fatal(err)
	}
	if readCert(t, again.CAFile()).SerialNumber.Cmp(readCert(t, d.CAFile()).SerialNumber) != 0 ||
		readCert(t, again.File("admin", ".crt")).Subject.CommonName != "sandbox-admin" {
		t.Error("a second Open replaced the CA or an existing certificate: every kubeconfig would break")
	}
}
