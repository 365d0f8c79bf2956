// Package playk8s holds what the whole repository shares: the pinned
// versions in versions.env, the one place every chart, image and tool
// version of play-kubernetes is set.
package playk8s

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed versions.env
var versionsEnv string

// Versions returns every KEY=value pair of versions.env.
func Versions() map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(versionsEnv, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// Version returns one pinned version; it panics on a key versions.env lacks,
// which a test guards for every key the code asks for.
func Version(key string) string {
	v, ok := Versions()[key]
	if !ok {
		panic(fmt.Sprintf("versions.env has no %s", key))
	}
	return v
}
