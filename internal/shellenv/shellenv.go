// Package shellenv writes environment settings as POSIX shell lines, for
// `eval "$(make -s env)"`: every value single-quoted, so no path, URL or
// passphrase-file name is ever split, globbed or expanded by the shell.
package shellenv

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Quote makes s one shell word that stands for itself: inside single
// quotes nothing is special but the single quote itself, which is written
// as close quote, backslash-escaped quote, open quote.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Export is the line that sets name to value in the shell and its children.
func Export(name, value string) string {
	return fmt.Sprintf("export %s=%s", name, Quote(value))
}

// Unset is the line that removes name from the shell's environment.
func Unset(name string) string {
	return "unset " + name
}

// Comment is a line the shell ignores, for what the user should know.
func Comment(text string) string {
	return "# " + strings.ReplaceAll(text, "\n", "\n# ")
}

// PrependPath is the line that puts dirs first on the shell's PATH, in
// order. The shell's own PATH is used, not this process's (`go run`
// prepends Go's bin directory to it), and a PATH that already starts with
// dirs is left alone, so evaluating the line twice changes nothing.
func PrependPath(dirs ...string) string {
	first := Quote(strings.Join(dirs, string(filepath.ListSeparator)))
	return fmt.Sprintf(`case "$PATH" in %[1]s|%[1]s:*) ;; *) export PATH=%[1]s"${PATH:+:$PATH}" ;; esac`, first)
}
