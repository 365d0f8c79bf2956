package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
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

// decodeJSON decodes exactly one JSON value, refusing unknown fields.
func decodeJSON(raw string, dst interface{}) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON value")
	}
	return nil
}

// objectHint turns a JSON decoding error into what the user should write.
func objectHint(t reflect.Type, err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %s to be a %s", typeErr.Field, typeErr.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("only the fields %s (%s)", fieldNames(t), strings.TrimPrefix(err.Error(), "json: "))
	default:
		return fmt.Sprintf("an object with the fields %s", fieldNames(t))
	}
}

// collectionHint says what a list or map key accepts.
func collectionHint(t reflect.Type, err error) string {
	var typeErr *json.UnmarshalTypeError
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
