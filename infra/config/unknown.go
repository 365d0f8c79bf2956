package config

import (
	"maps"
	"slices"
	"strings"
)

// projectNamespace is the project's own config namespace, where
// `pulumi config set replicas 5` lands: no key of it is ours, so every
// key set there is a mistake.
const projectNamespace = "play-kubernetes"

// checkUnknown reports every given key in our namespaces (the specs' and
// the project's), or in a near miss of one (nearMiss), that is not a known
// key, with the closest known key as a suggestion: a typo or a stale
// setting. Keys of every other namespace (the providers', a user's own)
// are not ours to judge.
func checkUnknown(given []string, known map[string]bool, errs *collector) {
	candidates := slices.Sorted(maps.Keys(known))
	ours := map[string]bool{projectNamespace: true}
	for _, k := range candidates {
		ns, _, _ := strings.Cut(k, ":")
		ours[ns] = true
	}
	for _, key := range given {
		ns, _, _ := strings.Cut(key, ":")
		missed := ""
		if !ours[ns] {
			missed = nearMiss(ns, ours)
		}
		if known[key] || (!ours[ns] && missed == "") {
			continue
		}
		accepted := "a known key (see the README's configuration reference)"
		suggestFor := key
		if missed != "" {
			accepted = "a known key of the " + missed + ": namespace (see the README's configuration reference)"
			// The key meant is in the namespace missed.
			_, name, _ := strings.Cut(key, ":")
			suggestFor = missed + ":" + name
		}
		if s := closest(suggestFor, candidates); s != "" {
			accepted = "a known key; did you mean " + s + "?"
		}
		errs.add(key, "(unknown key)", accepted)
	}
}

// nearMiss returns the namespace of ours that ns misspells, or "": the
// same in another letter case (Pulumi's namespaces are case-sensitive, so
// `Webserver:replicas` would be ignored silently), or a few edits away
// (`webservr:replicas`): one for a short namespace, more for a longer one,
// so that namespaces merely alike (`kubernetes` and `play-kubernetes`)
// stay apart.
func nearMiss(ns string, ours map[string]bool) string {
	for _, our := range slices.Sorted(maps.Keys(ours)) {
		if ns != our && editDistance(strings.ToLower(ns), our) <= max(1, len(our)/4) {
			return our
		}
	}
	return ""
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

// editDistance is the edit distance between a and b, counting a letter
// inserted, deleted or replaced, and two adjacent letters swapped (the
// commonest typo, `chian`), as one edit each: the optimal string alignment
// distance.
func editDistance(a, b string) int {
	before := make([]int, len(b)+1)
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
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
		}
		before, prev, cur = prev, cur, before
	}
	return prev[len(b)]
}
