package contenthash_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/contenthash"
)

// tree is a source tree with a file each skipRule leaves out.
var tree = map[string]string{
	"src/main.go":             "package main\n",
	"src/lib/lib.go":          "package lib\n",
	"src/lib/lib_test.go":     "package lib\n",
	"src/lib/testdata/golden": "golden\n",
	"other/notes.go":          "package other\n",
}

// skipRule leaves out tests and testdata, as cmd/tools does.
func skipRule(d fs.DirEntry) bool {
	if d.IsDir() {
		return d.Name() == "testdata"
	}
	return strings.HasSuffix(d.Name(), "_test.go")
}

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func digest(t *testing.T, root string, skip contenthash.Skip) string {
	t.Helper()
	h := sha256.New()
	if err := contenthash.Tree(h, root, "src", skip); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func rename(from, to string) func(*testing.T, string) {
	return func(t *testing.T, root string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, to)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(root, from), filepath.Join(root, to)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTreeChangesExactlyWithWhatIsKept: a digest changes with every byte,
// name and file the skip rule keeps, and with nothing else.
func TestTreeChangesExactlyWithWhatIsKept(t *testing.T) {
	edit := func(files map[string]string) func(*testing.T, string) {
		return func(t *testing.T, root string) { write(t, root, files) }
	}
	tests := []struct {
		name   string
		change func(*testing.T, string)
		want   bool // whether the digest changes
	}{
		{"nothing", func(*testing.T, string) {}, false},
		{"a file rewritten with the same bytes", edit(map[string]string{"src/main.go": "package main\n"}), false},
		{"a changed byte", edit(map[string]string{"src/main.go": "package mainx\n"}), true},
		{"a renamed file", rename("src/main.go", "src/main2.go"), true},
		{"a file moved to another directory", rename("src/main.go", "src/lib/main.go"), true},
		{"a byte moved from one file to the next", edit(map[string]string{"src/lib/lib.go": "package lib", "src/main.go": "\npackage main\n"}), true},
		{"an added file", edit(map[string]string{"src/lib/more.go": "package lib\n"}), true},
		{"an added empty file", edit(map[string]string{"src/empty": ""}), true},
		{"an added empty directory", func(t *testing.T, root string) {
			if err := os.Mkdir(filepath.Join(root, "src/empty"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a skipped file changed", edit(map[string]string{"src/lib/lib_test.go": "package lib // more\n"}), false},
		{"a skipped file added", edit(map[string]string{"src/new_test.go": "package main\n"}), false},
		{"a file in a skipped directory changed", edit(map[string]string{"src/lib/testdata/golden": "other\n"}), false},
		{"a file outside the tree changed", edit(map[string]string{"other/notes.go": "package other // v2\n"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, tree)
			before := digest(t, root, skipRule)
			tt.change(t, root)
			if changed := digest(t, root, skipRule) != before; changed != tt.want {
				t.Errorf("digest changed = %v, want %v", changed, tt.want)
			}
		})
	}
}

func TestTreeSkip(t *testing.T) {
	root := t.TempDir()
	write(t, root, tree)
	if digest(t, root, nil) == digest(t, root, skipRule) {
		t.Error("a nil skip rule left out the tests too")
	}
	if got, want := digest(t, root, func(fs.DirEntry) bool { return true }), hex.EncodeToString(sha256.New().Sum(nil)); got != want {
		t.Errorf("skipping everything (the tree's own directory first) = %s, want the empty digest", got)
	}
}

// TestTreeIsTheSameWherever: the names are relative to root, so the same
// files checked out elsewhere give the same digest.
func TestTreeIsTheSameWherever(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write(t, a, tree)
	write(t, b, tree)
	if digest(t, a, skipRule) != digest(t, b, skipRule) {
		t.Error("the same tree in two places hashed differently")
	}
}

func TestTreeMissing(t *testing.T) {
	if err := contenthash.Tree(sha256.New(), t.TempDir(), "missing", nil); err == nil {
		t.Error("a missing tree was hashed")
	}
}
