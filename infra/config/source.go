package config

import (
	"encoding/json"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Getter returns the raw value of a full config key ("webserver:replicas"),
// as Pulumi's ctx.GetConfig does: scalars as text, objects and lists as JSON.
type Getter func(key string) (string, bool)

// Source is where configuration comes from.
type Source struct {
	// Get returns a full key's raw value.
	Get Getter
	// IsSecret reports whether a key is stored encrypted (pulumi config set --secret).
	IsSecret func(key string) bool
	// RootDir is the project root; relative paths (chart dir, build context) are resolved against it.
	RootDir string
	// Keys lists every key set on the stack, when the source can tell;
	// unknown keys in our namespaces are then refused. Nil skips the check.
	Keys []string
}

// FromContext reads a running Pulumi program's configuration.
func FromContext(ctx *pulumi.Context) Source {
	root := ctx.RootDirectory()
	if root == "" {
		root, _ = os.Getwd()
	}
	return Source{Get: ctx.GetConfig, IsSecret: ctx.IsConfigSecret, RootDir: root, Keys: envConfigKeys()}
}

// envConfigKeys lists the keys of PULUMI_CONFIG, where the language host
// (`pulumi up`) and the mocks pass a program its configuration. Inline
// Automation API programs get theirs another way; the deploy command checks
// their keys from the stack file before it starts the engine.
func envConfigKeys() []string {
	raw, ok := os.LookupEnv(pulumi.EnvConfig)
	if !ok {
		return nil
	}
	var values map[string]interface{}
	if err := json.Unmarshal([]byte(raw), &values); err != nil {
		return nil
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	return keys
}

// FromMap reads configuration from a map of full keys, for tests and tools;
// secretKeys are the keys to treat as stored encrypted.
func FromMap(values map[string]string, rootDir string, secretKeys ...string) Source {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
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
		Keys:     keys,
	}
}
