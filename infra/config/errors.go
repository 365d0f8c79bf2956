package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// FieldError is one refused configuration value.
type FieldError struct {
	// Key is the full config key, e.g. "webserver:replicas" or "webserver:service.nodePort".
	Key string
	// Value is the value given, as the user wrote it.
	Value string
	// Accepted says what the key accepts.
	Accepted string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("%s: %s is not accepted; want %s", e.Key, e.Value, e.Accepted)
}

// Errors are every FieldError found in one Load.
type Errors []FieldError

func (es Errors) Error() string {
	sorted := append(Errors(nil), es...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	lines := make([]string, len(sorted))
	for i, e := range sorted {
		lines[i] = "  " + e.Error()
	}
	noun := "value"
	if len(es) > 1 {
		noun = "values"
	}
	return fmt.Sprintf("invalid stack configuration (%d %s; nothing was changed):\n%s", len(es), noun, strings.Join(lines, "\n"))
}

// collector gathers FieldErrors while a configuration is read and checked.
type collector struct {
	errs Errors
}

func (c *collector) add(key, value, accepted string) {
	c.errs = append(c.errs, FieldError{Key: key, Value: value, Accepted: accepted})
}

// addAll records a spec's refusals under its namespace: the spec names the
// field ("service.nodePort"), the error names the key ("webserver:service.nodePort").
func (c *collector) addAll(namespace string, errs field.ErrorList) {
	for _, e := range errs {
		value := quote(e.BadValue)
		if e.Type == field.ErrorTypeRequired {
			value = "(unset)"
		}
		c.add(namespace+":"+e.Field, value, e.Detail)
	}
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

// quote renders a user's value for a message: strings quoted, lists as
// JSON, a stand-in (a secret) as itself, the rest as given.
func quote(v interface{}) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		raw, _ := json.Marshal(v)
		return string(raw)
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}
