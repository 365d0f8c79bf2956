// Package readme reads a section of the project's README.md, for the
// tests that hold the README's reference tables (configuration keys,
// outputs) to the code.
package readme

import (
	"fmt"
	"os"
	"strings"
)

// Section is the text under the README's "## <heading>" line, up to the
// next "## " heading.
func Section(path, heading string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	_, section, ok := strings.Cut(string(raw), "\n## "+heading+"\n")
	if !ok {
		return "", fmt.Errorf("%s has no %s section", path, heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section, nil
}
