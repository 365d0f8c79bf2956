package components

import "slices"

// PodSecurityLevel is a Pod Security Standard level a namespace enforces.
type PodSecurityLevel string

// The Pod Security Standard levels.
const (
	PodSecurityPrivileged PodSecurityLevel = "privileged"
	PodSecurityBaseline   PodSecurityLevel = "baseline"
	PodSecurityRestricted PodSecurityLevel = "restricted"
)

// PodSecurityLevels lists the levels, least strict first.
func PodSecurityLevels() []PodSecurityLevel {
	return []PodSecurityLevel{PodSecurityPrivileged, PodSecurityBaseline, PodSecurityRestricted}
}

// Valid reports whether l is one of PodSecurityLevels.
func (l PodSecurityLevel) Valid() bool { return slices.Contains(PodSecurityLevels(), l) }

// podSecurityLabels make the API server's Pod Security admission enforce a
// level in a namespace, and warn and audit at it as well, pinned to the
// "latest" version of the standard.
func podSecurityLabels(level PodSecurityLevel) map[string]string {
	if level == "" {
		return nil
	}
	out := map[string]string{}
	for _, mode := range []string{"enforce", "audit", "warn"} {
		out["pod-security.kubernetes.io/"+mode] = string(level)
		out["pod-security.kubernetes.io/"+mode+"-version"] = "latest"
	}
	return out
}
