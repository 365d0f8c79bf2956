// Package configset applies a user's config overrides (playk8s render
// -set and its secret forms) to a stack's configuration as `pulumi config
// set --path` does: keys are paths (istio:ingress.api, chain:hops[0],
// a:b["key.with.dots"]) parsed by Pulumi's own parser and set with
// Pulumi's own config map, so what playk8s checks before a run is what the
// engine's `pulumi config set-all --path` then writes.
package configset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
)

// accepted says what an override's key may be.
const accepted = `namespace:key, or a path below it as pulumi config set --path takes: namespace:key.field, namespace:key[0], namespace:key["field.with.dots"]`

// Key is an override's key, parsed.
type Key struct {
	// Given is the key as the user wrote it.
	Given string
	// Top is the top-level key the override lands in: "istio:ingress" for
	// istio:ingress.api. The stack's checks judge top-level keys.
	Top string
	// Path is where below Top the value goes ("api"); empty for a
	// top-level key.
	Path resource.PropertyPath

	top    config.Key // Top, as Pulumi's config map keys it
	pulumi config.Key // the whole key, as Pulumi's config map takes a path
}

// ParseKey parses an override's key as `pulumi config set --path` does:
// the namespace is what comes before the colon of the part up to the
// first '.' or '[' (so a field below may hold a colon), and the rest is a
// property path. Unlike Pulumi, a key without a namespace is refused: no
// key of the project's own namespace exists.
func ParseKey(s string) (Key, error) {
	refuse := func(why string) (Key, error) {
		return Key{}, fmt.Errorf("%q is not a config key: %s; want %s", s, why, accepted)
	}
	top, rest := s, ""
	if i := strings.IndexAny(s, "[."); i >= 0 {
		top, rest = s[:i], s[i:]
	}
	if !strings.Contains(top, ":") {
		if rest != "" {
			return refuse("what comes before its first '.' or '[' is no namespace:name")
		}
		return refuse("it has no namespace")
	}
	k, err := config.ParseKey(top)
	if err != nil {
		return refuse("more than one colon before its name")
	}
	if k.Namespace() == "" {
		return refuse("its namespace is empty")
	}
	path, err := resource.ParsePropertyPathStrict(k.Name() + rest)
	if err != nil {
		return refuse(err.Error())
	}
	first, ok := "", len(path) > 0
	if ok {
		first, ok = path[0].(string)
	}
	if !ok || first == "" {
		return refuse("it has no name after the namespace")
	}
	return Key{
		Given:  s,
		Top:    k.Namespace() + ":" + first,
		Path:   path[1:],
		top:    config.MustMakeKey(k.Namespace(), first),
		pulumi: config.MustMakeKey(k.Namespace(), k.Name()+rest),
	}, nil
}

// String names the key, or with a path the value at it, as a user would
// write it ("istio:ingress.api").
func (k Key) String() string { return name(k.Top, k.Path) }

// name spells the value at path below a top-level key.
func name(top string, path resource.PropertyPath) string {
	if len(path) == 0 {
		return top
	}
	ns, first, _ := strings.Cut(top, ":")
	return ns + ":" + append(resource.PropertyPath{first}, path...).String()
}

// ParseKeys parses every override key and refuses two that overlap: the
// same value spelled twice, or one inside the other's
// (istio:ingress and istio:ingress.api). Overrides are a set, set in no
// order (the engine's set-all is given them in map order), so which of
// two overlapping ones won would be chance. The keys come back sorted.
func ParseKeys(given []string) ([]Key, error) {
	keys := make([]Key, 0, len(given))
	for _, s := range slices.Sorted(slices.Values(given)) {
		k, err := ParseKey(s)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			if a.Top != b.Top {
				continue
			}
			outer, inner := a, b
			if len(b.Path) < len(a.Path) {
				outer, inner = b, a
			}
			if isPrefix(outer.Path, inner.Path) {
				return nil, fmt.Errorf("the overrides %s and %s overlap: %s is %s; overrides have no order, so give one: %s as a whole, or each field by its own path",
					outer.Given, inner.Given, inner.String(), within(outer, inner), outer.String())
			}
		}
	}
	return keys, nil
}

func within(outer, inner Key) string {
	if len(outer.Path) == len(inner.Path) {
		return "the value both set"
	}
	return "inside " + outer.String()
}

func isPrefix(prefix, path resource.PropertyPath) bool {
	if len(prefix) > len(path) {
		return false
	}
	for i := range prefix {
		if prefix[i] != path[i] {
			return false
		}
	}
	return true
}
