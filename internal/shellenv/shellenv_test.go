package shellenv

import (
	"os/exec"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"":                      "''",
		"plain":                 "'plain'",
		"with space":            "'with space'",
		"it's":                  `'it'\''s'`,
		"$HOME `id` \\ \"x\" *": "'$HOME `id` \\ \"x\" *'",
	}
	for in, want := range cases {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestExportRoundTrip has a real shell read back what Export wrote: the
// value must arrive byte for byte, whatever it holds.
func TestExportRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, v := range []string{"/a b/c", "it's", "$(touch /nonexistent)", "a\nb", "*", "file:///x?y=1&z=2"} {
		out, err := exec.Command(sh, "-c", Export("V", v)+`; printf %s "$V"`).Output()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(out) != v {
			t.Errorf("exported %q, the shell read %q", v, out)
		}
	}
}

func TestPrependPath(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	line := PrependPath("/tools/pulumi v3/bin", "/tools/it's")
	cases := map[string]string{
		"/usr/bin:/bin": "/tools/pulumi v3/bin:/tools/it's:/usr/bin:/bin",
		// already first: left alone, however often the line is evaluated
		"/tools/pulumi v3/bin:/tools/it's:/usr/bin": "/tools/pulumi v3/bin:/tools/it's:/usr/bin",
		"": "/tools/pulumi v3/bin:/tools/it's",
	}
	for path, want := range cases {
		cmd := exec.Command(sh, "-c", line+"\n"+line+"\n"+`printf %s "$PATH"`)
		cmd.Env = []string{"PATH=" + path}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("PATH %q: %v", path, err)
		}
		if string(out) != want {
			t.Errorf("PATH %q became %q, want %q", path, out, want)
		}
	}
}

func TestComment(t *testing.T) {
	if got := Comment("a\nb"); !strings.HasPrefix(got, "# a\n# b") {
		t.Errorf("Comment = %q", got)
	}
}
