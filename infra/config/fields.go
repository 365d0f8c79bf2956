package config

import (
	"errors"
	"reflect"
	"strings"
)

func asError(err error, target interface{}) bool { return errors.As(err, target) }

// fieldNames lists the JSON field names of the struct dst points to.
func fieldNames(dst interface{}) string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return strings.Join(names, ", ")
}
