// Package config reads the stack's configuration into the components'
// specs and refuses, before any resource is registered, everything they
// would refuse.
//
// It does only what the components cannot: it reads the stack's keys,
// decodes each config namespace (webserver, istio, chain, telemetry)
// straight into its component's spec over the spec's defaults (Stack holds
// one spec per namespace), refuses unknown keys with a did-you-mean
// suggestion (in our namespaces and in namespaces that misspell one of
// ours), decodes objects strictly (a field in another letter case or a key
// given twice is refused, where encoding/json would take it silently),
// refuses secrets stored in plain text, and names the key in every refusal
// of a spec's Validate and of the checks across specs
// (components.WebServerCollisions, components.WebServerSidecarRules, ...). Every value travels one way: read,
// default, validate, then the component renders it. The rules themselves
// live with the specs.
//
// All problems are collected in one pass, each naming the key, the value
// given and what is accepted, so a user fixes a stack in one go. The
// README's configuration tables are tested against the reader
// (readme_test.go), and the reader and validators are fuzzed (FuzzConfig).
package config
