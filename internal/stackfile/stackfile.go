// Package stackfile reads a Pulumi.<stack>.yaml into the flat key -> raw
// value map a Pulumi program sees (scalars as text, objects and lists as
// JSON), so tests and tools evaluate the real stack files.
package stackfile

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"sigs.k8s.io/yaml"
)

// Load reads the config section of a stack file. Secure (encrypted) values
// are skipped: they need the stack's secrets provider to read.
func Load(path string) (map[string]string, error) {
	values, _, err := load(path)
	return values, err
}

// EncryptedPlaceholder stands for a secure value LoadWithSecrets cannot decrypt.
const EncryptedPlaceholder = "(encrypted)"

// LoadWithSecrets is Load that also reports the secure keys, each present in
// the map as EncryptedPlaceholder: enough to check that a secret is set.
func LoadWithSecrets(path string) (map[string]string, []string, error) {
	values, secure, err := load(path)
	for _, k := range secure {
		values[k] = EncryptedPlaceholder
	}
	return values, secure, err
}

// Config reads the config section as Pulumi's own config map, each value
// of its kind as `pulumi config set --path` sees it: an object stays an
// object, a text holding JSON stays a text, an encrypted value stays
// encrypted (undecrypted).
func Config(path string) (config.Map, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Config config.Map `json:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if file.Config == nil {
		file.Config = config.Map{}
	}
	return file.Config, nil
}

func load(path string) (map[string]string, []string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var file struct {
		Config map[string]interface{} `json:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	var secure []string
	for key, value := range file.Config {
		if m, ok := value.(map[string]interface{}); ok {
			if _, ok := m["secure"]; ok && len(m) == 1 {
				secure = append(secure, key)
				continue
			}
		}
		switch v := value.(type) {
		case string:
			out[key] = v
		case bool, float64, int64, nil:
			out[key] = fmt.Sprint(v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", path, key, err)
			}
			out[key] = string(b)
		}
	}
	return out, secure, nil
}
