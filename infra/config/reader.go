package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Getter returns the raw value of a full config key ("webserver:replicas"),
// as Pulumi's ctx.GetConfig does: scalars as text, objects and lists as JSON.
type Getter func(key string) (string, bool)

// reader reads one namespace's keys into typed fields, recording a
// FieldError for every value of the wrong type and leaving the default.
type reader struct {
	namespace string
	get       Getter
	errs      *collector
	// known records every key a reader asks for: the accepted keys.
	known map[string]bool
}

func (r reader) key(k string) string { return r.namespace + ":" + k }

func (r reader) raw(k string) (string, bool) {
	r.known[r.key(k)] = true
	return r.get(r.key(k))
}

func (r reader) str(k string, dst *string) {
	if v, ok := r.raw(k); ok {
		*dst = v
	}
}

func (r reader) integer(k string, dst *int) {
	v, ok := r.raw(k)
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.errs.add(r.key(k), quote(v), "an integer")
		return
	}
	*dst = n
}

func (r reader) boolean(k string, dst *bool) {
	v, ok := r.raw(k)
	if !ok {
		return
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.errs.add(r.key(k), quote(v), "true or false")
		return
	}
	*dst = b
}

func (r reader) float(k string, dst *float64) {
	v, ok := r.raw(k)
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		r.errs.add(r.key(k), quote(v), "a number")
		return
	}
	*dst = f
}

// strings reads a list of strings, given as a YAML list in the stack file (JSON here).
func (r reader) strings(k string, dst *[]string) {
	v, ok := r.raw(k)
	if !ok {
		return
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.errs.add(r.key(k), quote(v), "a list of strings")
		return
	}
	*dst = out
}

// object decodes a structured value over dst's defaults: fields the user
// leaves out keep their defaults; unknown fields are refused, so a typo is
// an error instead of a silently ignored setting.
func (r reader) object(k string, dst interface{}) {
	v, ok := r.raw(k)
	if !ok {
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		r.errs.add(r.key(k), quote(v), objectHint(dst, err))
	}
}

// objectHint turns a JSON decoding error into what the user should write.
func objectHint(dst interface{}, err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case asError(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %s to be a %s", typeErr.Field, typeErr.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("only the fields %s (%s)", fieldNames(dst), strings.TrimPrefix(err.Error(), "json: "))
	default:
		return fmt.Sprintf("an object with the fields %s", fieldNames(dst))
	}
}
