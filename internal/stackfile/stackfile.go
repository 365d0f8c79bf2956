// Package stackfile reads a Pulumi.<stack>.yaml into the flat key -> raw
// value map a Pulumi program sees (scalars as text, objects and lists as
// JSON), so tests and tools evaluate the real stack files.
package stackfile

import (
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Load reads the config section of a stack file. Secure (encrypted) values
// are skipped: they need the stack's secrets provider to read.
func Load(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Config map[string]interface{} `json:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]string{}
	for key, value := range file.Config {
		if m, ok := value.(map[string]interface{}); ok {
			if _, secure := m["secure"]; secure && len(m) == 1 {
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
				return nil, fmt.Errorf("%s: %s: %w", path, key, err)
			}
			out[key] = string(b)
		}
	}
	return out, nil
}
