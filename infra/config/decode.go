package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	kjson "sigs.k8s.io/json"
	"strconv"
	"strings"
)

// key is one config key and the spec field it sets.
type key struct {
	// name is the full key, "webserver:replicas".
	name string
	// field is the spec's field, settable.
	field reflect.Value
	// secret keys must be stored encrypted (`config:"secret"` on the field).
	secret bool
}

// keysOf lists the keys of a namespace: one per JSON field of its spec,
// the fields of embedded structs included (as encoding/json inlines them).
func keysOf(namespace string, spec interface{}) []key {
	return fieldKeys(namespace, reflect.ValueOf(spec).Elem())
}

func fieldKeys(namespace string, v reflect.Value) []key {
	var out []key
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, fieldKeys(namespace, v.Field(i))...)
		case name != "" && name != "-" && f.IsExported():
			out = append(out, key{name: namespace + ":" + name, field: v.Field(i), secret: f.Tag.Get("config") == "secret"})
		}
	}
	return out
}

// read sets the key's field from the source, if the key is set there,
// recording a FieldError for a value of the wrong type (the field keeps
// its default).
func (k key) read(src Source, errs *collector) {
	raw, ok := src.Get(k.name)
	if !ok {
		return
	}
	if k.secret && src.IsSecret != nil && !src.IsSecret(k.name) {
		errs.add(k.name, "(a plaintext value)", "a secret: set it with `pulumi config set --secret "+k.name+"`")
	}
	if accepted := decode(k.field, raw); accepted != "" {
		value := quote(raw)
		if k.secret {
			value = "(secret)"
		}
		errs.add(k.name, value, accepted)
	}
}

// decode sets v from a raw config value as Pulumi gives it: scalars as
// text, objects and lists as JSON. It returns "" or what is accepted.
// Objects are decoded over v's defaults (fields left out keep them) and
// refuse unknown fields, so a typo is an error, not an ignored setting;
// lists and maps replace the default whole.
func decode(v reflect.Value, raw string) string {
	text := strings.TrimSpace(raw)
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return "an integer"
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return "true or false"
		}
		v.SetBool(b)
	case reflect.Float64:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return "a number"
		}
		v.SetFloat(f)
	case reflect.Struct:
		over := reflect.New(v.Type())
		over.Elem().Set(v)
		if err := decodeJSON(raw, over.Interface()); err != nil {
			return objectHint(v.Type(), err)
		}
		v.Set(over.Elem())
	default: // lists and maps
		fresh := reflect.New(v.Type())
		if err := decodeJSON(raw, fresh.Interface()); err != nil {
			return collectionHint(v.Type(), err)
		}
		v.Set(fresh.Elem())
	}
	return ""
}

// decodeJSON decodes exactly one JSON value as the API server reads
// objects (sigs.k8s.io/json's strict mode): a field matches only in its
// own letter case, and a field that matches none or a key given twice is
// an error. encoding/json would take "Port" for port and let the last of
// two keys win, both silently.
func decodeJSON(raw string, dst interface{}) error {
	strict, err := kjson.UnmarshalStrict([]byte(raw), dst)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// strictHint says what a strict decoding error refused, in t (the type
// the value decodes into): a key given twice, or a field no type has,
// with the field it is in another letter case. fields is the struct whose
// fields are listed: t, or the element of a list t.
func strictHint(t, fields reflect.Type, err error) (string, bool) {
	for _, e := range unwrapJoined(err) {
		msg := strings.TrimPrefix(e.Error(), "json: ")
		switch {
		case strings.HasPrefix(msg, "duplicate field "):
			return fmt.Sprintf("each field once (%q is given twice)", fieldPath(msg, "duplicate field ")), true
		case strings.HasPrefix(msg, "unknown field ") && fields != nil:
			path := fieldPath(msg, "unknown field ")
			if want, ok := inLetterCase(t, path); ok {
				return fmt.Sprintf("only the fields %s, in their letter case (%q is %q in another letter case)", fieldNames(fields), path, want), true
			}
			return fmt.Sprintf("only the fields %s (%s)", fieldNames(fields), msg), true
		}
	}
	return "", false
}

// fieldPath is the quoted path of a strict error's message.
func fieldPath(msg, prefix string) string {
	return strings.Trim(strings.TrimPrefix(msg, prefix), `"`)
}

// inLetterCase finds the field a strict error's path names in another
// letter case ("resources.Limits", "tolerations[0].Key"), walking t by
// the JSON names of its fields, and returns the path as it should be.
func inLetterCase(t reflect.Type, path string) (string, bool) {
	parts := strings.Split(path, ".")
	for i, part := range parts {
		name, index, _ := strings.Cut(part, "[")
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if name != "" && t.Kind() == reflect.Map {
			// A key of an object of objects (chain:traffic's hop names): kept as written.
			t = t.Elem()
		} else if name != "" {
			if t.Kind() != reflect.Struct {
				return "", false
			}
			found := false
			for _, f := range reflect.VisibleFields(t) {
				tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if tag != "" && tag != "-" && strings.EqualFold(tag, name) {
					parts[i], t, found = tag+strings.TrimPrefix(part, name), f.Type, true
					break
				}
			}
			if !found {
				return "", false
			}
		}
		for n := strings.Count("["+index, "["); index != "" && n > 0; n-- {
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array && t.Kind() != reflect.Map {
				return "", false
			}
			t = t.Elem()
		}
	}
	fixed := strings.Join(parts, ".")
	return fixed, fixed != path
}

// unwrapJoined are the errors errors.Join joined, or err alone.
func unwrapJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// objectHint turns a JSON decoding error into what the user should write.
func objectHint(t reflect.Type, err error) string {
	var typeErr *json.UnmarshalTypeError
	if hint, ok := strictHint(t, t, err); ok {
		return hint
	}
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %s to be a %s", typeErr.Field, typeErr.Type)
	default:
		return fmt.Sprintf("an object with the fields %s", fieldNames(t))
	}
}

// collectionHint says what a list or map key accepts.
func collectionHint(t reflect.Type, err error) string {
	var typeErr *json.UnmarshalTypeError
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
		if hint, ok := strictHint(t, t.Elem(), err); ok {
			return "a list of objects with " + hint
		}
	}
	if t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Struct {
		if hint, ok := strictHint(t, t.Elem(), err); ok {
			return "an object of objects with " + hint
		}
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fmt.Sprintf("an object of objects whose field %s is a %s", typeErr.Field, typeErr.Type)
		}
		return fmt.Sprintf("an object of objects with the fields %s", fieldNames(t.Elem()))
	}
	if hint, ok := strictHint(t, nil, err); ok && t.Kind() == reflect.Map {
		return "an object of string keys to string values, " + strings.Replace(hint, "each field once", "each key once", 1)
	}
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "a list of strings"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fmt.Sprintf("a list of objects whose field %s is a %s", typeErr.Field, typeErr.Type)
		}
		return fmt.Sprintf("a list of objects with the fields %s", fieldNames(t.Elem()))
	case t.Kind() == reflect.Map:
		return "an object of string keys to string values"
	}
	return "a " + t.String()
}

// fieldNames lists the JSON field names of a struct type.
func fieldNames(t reflect.Type) string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}
