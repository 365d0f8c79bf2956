package hoststate

import (
	"os"
	"path/filepath"
	"strings"
)

// sysctlPath is a setting's file under /proc/sys (a.b.c -> a/b/c).
func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

// ReadSysctl is a kernel setting's value.
func ReadSysctl(name string) (string, error) {
	raw, err := os.ReadFile(sysctlPath(name))
	return strings.TrimSpace(string(raw)), err
}

// WriteSysctl sets a kernel setting. Inside netns.Do it sets the
// namespace's own copy of a namespaced setting (/proc/sys/net is the
// calling thread's namespace's).
func WriteSysctl(name, value string) error {
	return os.WriteFile(sysctlPath(name), []byte(value), 0o644)
}
