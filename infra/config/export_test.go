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

// SecretKeys lists the keys whose values are secrets, for the tests that
// check refusals never show them.
func SecretKeys() map[string]bool {
	secret := map[string]bool{}
	for _, ns := range (&Stack{}).namespaces() {
		for _, k := range keysOf(ns.name, ns.spec) {
			if k.secret {
				secret[k.name] = true
			}
		}
	}
	return secret
}

// Namespaces lists our config namespaces: the specs' and the project's.
func Namespaces() []string {
	names := []string{projectNamespace}
	for _, ns := range (&Stack{}).namespaces() {
		names = append(names, ns.name)
	}
	return names
}
