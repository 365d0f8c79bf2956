package configset

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
)

// Value is a top-level config value as a program reads it.
type Value struct {
	// Raw is the value as Pulumi gives it to a program: text, or JSON for
	// an object or a list.
	Raw string
	// Secret reports that an override stored the value, or a value inside
	// it, encrypted (the program then reads the key as a secret).
	Secret bool
}

// Apply sets the overrides, keyed as the user wrote them, on cfg (a
// stack's configuration as its stack file holds it: stackfile.Config) and
// returns the top-level values they changed, by top-level key.
//
// A path sets a value inside the stack's existing object or list and
// keeps the rest of it, creating the objects and lists it names that do
// not exist yet; below the top level, "true" and "false" become booleans
// and an integer a number, as `pulumi config set --path` stores them
// (a secret stays text: Pulumi stores it encrypted, never coerced).
// Where Pulumi would replace a top-level value that is not an object or a
// list with a new object (a text, even one holding JSON), Apply refuses
// the path: the rest of that value would be lost without a word.
func Apply(cfg config.Map, overrides map[string]auto.ConfigValue) (map[string]Value, error) {
	keys, err := ParseKeys(slices.Collect(maps.Keys(overrides)))
	if err != nil {
		return nil, err
	}
	changed := map[config.Key]Value{}
	for _, k := range keys {
		o := overrides[k.Given]
		v := config.NewValue(o.Value)
		if o.Secret {
			v = config.NewTypedValue(o.Value, config.TypeString)
		}
		if err := checkPath(cfg, k); err != nil {
			return nil, err
		}
		if err := cfg.Set(k.pulumi, v, true); err != nil {
			return nil, fmt.Errorf("%s: %w", k.Given, err)
		}
		c := changed[k.top]
		c.Secret = c.Secret || o.Secret
		changed[k.top] = c
	}
	out := make(map[string]Value, len(changed))
	for top, c := range changed {
		// NopDecrypter returns the value as stored: the overrides' secrets
		// are held as text here, and the stack file's own encrypted values
		// stay ciphertext, as stackfile.Load gives them.
		raw, err := cfg[top].Value(config.NopDecrypter)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", top.String(), err)
		}
		c.Raw = raw
		out[top.String()] = c
	}
	return out, nil
}

// checkPath refuses a path through a value that is neither an object nor
// a list, naming where it stops; Pulumi's own refusals ("expected a map")
// name neither the key nor the value.
func checkPath(cfg config.Map, k Key) error {
	if len(k.Path) == 0 {
		return nil
	}
	root, ok := cfg[k.top]
	if !ok {
		return nil // Pulumi creates what the path names
	}
	if !root.Object() {
		what, fix := "a secret", "set it whole instead"
		if !root.Secure() {
			text, _ := root.Value(config.NopDecrypter)
			what = fmt.Sprintf("%q", text)
			if t := strings.TrimSpace(text); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
				what += ", a quoted text holding JSON,"
				fix = "write it in the stack file as YAML (an object or a list), or set it whole instead"
			}
		}
		return fmt.Errorf("%s: %s is %s in the stack file, not an object or a list, so a path cannot go into it (pulumi config set --path would replace it whole); %s",
			k.Given, k.Top, what, fix)
	}
	cur, err := root.ToObject()
	if err != nil {
		return fmt.Errorf("%s: %w", k.Given, err)
	}
	for i, seg := range k.Path {
		at := name(k.Top, k.Path[:i])
		switch c := cur.(type) {
		case nil:
			return nil // Pulumi creates what the path names from here
		case map[string]any:
			if isSecret(c) {
				return fmt.Errorf("%s: %s is a secret, not an object or a list, so a path cannot go into it; set %s whole", k.Given, at, at)
			}
			field, ok := seg.(string)
			if !ok {
				return fmt.Errorf("%s: %s is an object; want a field name after it, e.g. %s.field", k.Given, at, at)
			}
			cur = c[field]
		case []any:
			index, ok := seg.(int)
			if !ok {
				return fmt.Errorf("%s: %s is a list; want an index after it, e.g. %s[0]", k.Given, at, at)
			}
			if index > len(c) {
				return fmt.Errorf("%s: %s has %d entries; want an index from 0 to %d (%d adds one)", k.Given, at, len(c), len(c), len(c))
			}
			if index == len(c) {
				return nil
			}
			cur = c[index]
		default:
			text, _ := json.Marshal(c)
			return fmt.Errorf("%s: %s is %s, not an object or a list, so a path cannot go into it; set %s whole", k.Given, at, text, at)
		}
	}
	return nil
}

// isSecret reports whether an object is how Pulumi stores an encrypted
// value inside an object: {"secure": ciphertext}.
func isSecret(m map[string]any) bool {
	_, ok := m["secure"]
	return ok && len(m) == 1
}
