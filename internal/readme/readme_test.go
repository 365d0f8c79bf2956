package readme_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/readme"
)

func TestSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	text := "# title\n\n## Outputs\n\n| a |\n\n### sub\nb\n\n## Make targets\nc\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		heading, want string
		found         bool
	}{
		// A section runs to the next "## " heading; its "### " ones are its own.
		{"Outputs", "\n| a |\n\n### sub\nb\n", true},
		{"Make targets", "c\n", true},
		// A heading is matched whole, not as a prefix.
		{"Make", "", false},
		{"Configuration", "", false},
	} {
		got, err := readme.Section(path, tc.heading)
		if (err == nil) != tc.found || got != tc.want {
			t.Errorf("Section(%q) = %q, %v; want %q, found %v", tc.heading, got, err, tc.want, tc.found)
		}
		if err != nil && !strings.Contains(err.Error(), tc.heading) {
			t.Errorf("error %v does not name the section", err)
		}
	}
}
