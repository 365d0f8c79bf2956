package stackfile

import (
	"errors"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// EncryptionSalt is the passphrase provider's salt recorded in a stack
// file (its top-level encryptionsalt), or "" when the file has none or
// does not exist yet (Pulumi creates it with the stack).
func EncryptionSalt(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var file struct {
		EncryptionSalt string `json:"encryptionsalt"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return file.EncryptionSalt, nil
}
