package stackfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
)

func TestEncryptionSalt(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ body, want string }{
		"salted":   {"encryptionsalt: v1:abc=:v1:x:y\nconfig:\n  a:b: c\n", "v1:abc=:v1:x:y"},
		"unsalted": {"config:\n  a:b: c\n", ""},
	}
	for name, tc := range cases {
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := stackfile.EncryptionSalt(path)
		if err != nil || got != tc.want {
			t.Errorf("%s: EncryptionSalt = %q, %v; want %q", name, got, err, tc.want)
		}
	}
	if got, err := stackfile.EncryptionSalt(filepath.Join(dir, "missing.yaml")); got != "" || err != nil {
		t.Errorf("a stack file not created yet: %q, %v; want no salt and no error", got, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("config: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := stackfile.EncryptionSalt(bad); err == nil {
		t.Error("a stack file that is not YAML was accepted")
	}
}
