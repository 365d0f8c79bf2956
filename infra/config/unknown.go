package config

import (
	"sort"
	"strings"
)

// ownNamespaces are the config namespaces this program reads; a key in one
// of them that no reader asked for is a typo or a stale setting. "play-kubernetes"
// is the project's own namespace, where `pulumi config set replicas 5` lands.
var ownNamespaces = []string{"webserver", "istio", "chain", "telemetry", "play-kubernetes"}

// checkUnknown reports every given key in our namespaces that is not a known
// key, with the closest known key as a suggestion.
func checkUnknown(given []string, known map[string]bool, errs *collector) {
	var candidates []string
	for k := range known {
		candidates = append(candidates, k)
	}
	sort.Strings(candidates)
	for _, key := range given {
		ns, _, _ := strings.Cut(key, ":")
		if known[key] || !contains(ownNamespaces, ns) {
			continue
		}
		accepted := "a known key (see the README's configuration reference)"
		if s := closest(key, candidates); s != "" {
			accepted = "a known key; did you mean " + s + "?"
		}
		errs.add(key, "(unknown key)", accepted)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// closest returns the candidates nearest to key, "a or b": by edit distance
// on the full key, or on the part after the namespace (a key set in the
// wrong namespace). Nothing is suggested when no candidate is reasonably close.
func closest(key string, candidates []string) string {
	_, name, _ := strings.Cut(key, ":")
	var best []string
	bestDist := len(key)
	for _, c := range candidates {
		_, cname, _ := strings.Cut(c, ":")
		// A match in another namespace counts one edit more than the same
		// key name in the key's own namespace.
		d := min(editDistance(strings.ToLower(key), strings.ToLower(c)), editDistance(strings.ToLower(name), strings.ToLower(cname))+1)
		switch {
		case d < bestDist:
			best, bestDist = []string{c}, d
		case d == bestDist:
			best = append(best, c)
		}
	}
	if bestDist > max(2, len(name)/3+1) {
		return ""
	}
	return strings.Join(best, " or ")
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
