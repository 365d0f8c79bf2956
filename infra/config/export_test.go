package config

import "reflect"

// KeyTypes lists every key the reader accepts with the Go type of the spec
// field it decodes into, for the tests that hold the README to the reader.
func KeyTypes() map[string]reflect.Type {
	types := map[string]reflect.Type{}
	for _, ns := range (&Stack{}).namespaces() {
		for _, k := range keysOf(ns.name, ns.spec) {
			types[k.name] = k.field.Type()
		}
	}
	return types
}
