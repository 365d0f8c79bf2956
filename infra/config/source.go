package config

import (
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Source is where configuration comes from.
type Source struct {
	// Get returns a full key's raw value.
	Get Getter
	// IsSecret reports whether a key is stored encrypted (pulumi config set --secret).
	IsSecret func(key string) bool
	// RootDir is the project root; relative paths (chart dir, build context) are resolved against it.
	RootDir string
}

// FromContext reads a running Pulumi program's configuration.
func FromContext(ctx *pulumi.Context) Source {
	root := ctx.RootDirectory()
	if root == "" {
		root, _ = os.Getwd()
	}
	return Source{Get: ctx.GetConfig, IsSecret: ctx.IsConfigSecret, RootDir: root}
}

// FromMap reads configuration from a map of full keys, for tests and tools;
// secretKeys are the keys to treat as stored encrypted.
func FromMap(values map[string]string, rootDir string, secretKeys ...string) Source {
	secrets := map[string]bool{}
	for _, k := range secretKeys {
		secrets[k] = true
	}
	return Source{
		Get: func(key string) (string, bool) {
			v, ok := values[key]
			return v, ok
		},
		IsSecret: func(key string) bool { return secrets[key] },
		RootDir:  rootDir,
	}
}

func (s Source) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.RootDir, p)
}

func (s Source) reader(namespace string, errs *collector) reader {
	return reader{namespace: namespace, get: s.Get, errs: errs}
}

// secret reads a key that must be stored encrypted; it never echoes the value.
func (s Source) secret(key string, errs *collector) (string, bool) {
	v, ok := s.Get(key)
	if !ok {
		return "", false
	}
	if s.IsSecret != nil && !s.IsSecret(key) {
		errs.add(key, "(a plaintext value)", "a secret: set it with `pulumi config set --secret "+key+"`")
	}
	return v, true
}
