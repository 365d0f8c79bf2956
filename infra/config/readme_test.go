package config_test

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/infra/config"
	"github.com/play-kubernetes/play-kubernetes/internal/readme"
)

// The README's configuration tables are the users' reference: these tests
// hold them to the reader, so that a key, an object field or a listed
// value cannot be added to one and not the other.

// readmeRow is one row of a `| key | default | accepted |` table.
type readmeRow struct {
	// keys are the full keys the row documents ("telemetry:jaegerImage", ...).
	keys []string
	// defaultCell and accepted are the row's other cells, as written.
	defaultCell, accepted string
}

// readmeRows reads the tables of the README's Configuration section, one
// per `### ns:` heading.
func readmeRows(t *testing.T) []readmeRow {
	t.Helper()
	section, err := readme.Section("../../README.md", "Configuration")
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("^### `([a-z-]+):`$")
	var rows []readmeRow
	namespace := ""
	for _, line := range strings.Split(section, "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			namespace = m[1]
			continue
		}
		if !strings.HasPrefix(line, "| `") || namespace == "" {
			continue // prose, a table's header or separator, or an example
		}
		cells := strings.Split(line, "|")
		if len(cells) != 5 {
			t.Fatalf("README row of %s: has %d cells, want key, default and accepted:\n%s", namespace, len(cells)-2, line)
		}
		row := readmeRow{defaultCell: strings.TrimSpace(cells[2]), accepted: strings.TrimSpace(cells[3])}
		for _, name := range codeSpans(cells[1]) {
			row.keys = append(row.keys, namespace+":"+name)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatal("README.md's Configuration section has no key tables")
	}
	return rows
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// codeSpans are the texts between backticks.
func codeSpans(s string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestREADMEDocumentsEveryKey(t *testing.T) {
	documented := map[string]bool{}
	for _, row := range readmeRows(t) {
		for _, k := range row.keys {
			documented[k] = true
		}
	}
	accepted := config.KeyTypes()
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		if _, ok := accepted[k]; !ok {
			t.Errorf("README documents %s, which the config reader does not accept", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(accepted)) {
		if !documented[k] {
			t.Errorf("the config reader accepts %s, which README's configuration tables do not document", k)
		}
	}
}

var word = regexp.MustCompile(`[A-Za-z][A-Za-z0-9]*`)

// TestREADMEDocumentsEveryObjectField: a row whose accepted cell names
// fields of its object names them all (in either cell). A row naming none
// refers to a shared shape ("resources object", "HTTP probe object").
func TestREADMEDocumentsEveryObjectField(t *testing.T) {
	types := config.KeyTypes()
	for _, row := range readmeRows(t) {
		for _, key := range row.keys {
			typ, ok := types[key]
			if !ok || typ.Kind() != reflect.Struct {
				continue
			}
			fields := jsonFields(typ)
			inAccepted := wordSet(row.accepted)
			if !slices.ContainsFunc(fields, func(f string) bool { return inAccepted[f] }) {
				continue
			}
			named := wordSet(row.defaultCell + " " + row.accepted)
			for _, f := range fields {
				if !named[f] {
					t.Errorf("README's row of %s names some of its fields but not %s", key, f)
				}
			}
		}
	}
}

func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range word.FindAllString(s, -1) {
		set[w] = true
	}
	return set
}

// jsonFields are the JSON field names of a struct, as the reader decodes it.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// enumeration is a closed set of values an accepted cell lists, for its
// key or for one field of the key's object.
type enumeration struct {
	field  string // "" for the key itself
	values []string
	bool   bool // "bool": the values are true and false
}

const enumValue = "(?:`[A-Za-z][A-Za-z0-9-]*`|[A-Z][A-Za-z0-9-]*)"

var (
	// valueList is "A, B or C", "`a` or `b`", "one of ...: `a`, `b`, `c"`,
	// ending the clause or followed by an explanation.
	valueList = regexp.MustCompile("^(one of [^:]*: )?(" + enumValue + "(?:, " + enumValue + ")*(?: or " + enumValue + ")?)(?:$|[ (:])")
	// fieldClause is "`field` what it accepts".
	fieldClause = regexp.MustCompile("^`([A-Za-z][A-Za-z0-9]*)` (.+)$")
	boolClause  = regexp.MustCompile("^bool(?:$|[ :;])")
	listSep     = regexp.MustCompile(", | or ")
)

// enumerations reads the value sets an accepted cell lists: each clause
// (cells separate them with ";") is a list of values, "bool", or either
// after a backticked field name.
func enumerations(accepted string) []enumeration {
	var out []enumeration
	for _, clause := range strings.Split(accepted, ";") {
		clause = strings.TrimSpace(clause)
		if e, ok := enumerationOf(clause); ok {
			out = append(out, e)
		} else if m := fieldClause.FindStringSubmatch(clause); m != nil {
			if e, ok := enumerationOf(m[2]); ok {
				e.field = m[1]
				out = append(out, e)
			}
		}
	}
	return out
}

func enumerationOf(s string) (enumeration, bool) {
	if boolClause.MatchString(s) {
		return enumeration{bool: true, values: []string{"true", "false"}}, true
	}
	m := valueList.FindStringSubmatch(s)
	if m == nil {
		return enumeration{}, false
	}
	values := listSep.Split(m[2], -1)
	// Two values at least, and a closed list: "or", or "one of".
	if len(values) < 2 || (m[1] == "" && !strings.Contains(m[2], " or ")) {
		return enumeration{}, false
	}
	for i, v := range values {
		values[i] = strings.Trim(v, "`")
	}
	return enumeration{values: values}, true
}

func TestEnumerationsAreReadFromCells(t *testing.T) {
	cases := []struct {
		cell string
		want []enumeration
	}{
		{"`STRICT` or `PERMISSIVE` (mesh-wide PeerAuthentication)", []enumeration{{values: []string{"STRICT", "PERMISSIVE"}}}},
		{"one of the charts' platform profiles: `gke`, `k3d`, `minikube`", []enumeration{{values: []string{"gke", "k3d", "minikube"}}}},
		{"`type` ClusterIP, NodePort or LoadBalancer; `nodePort` 0 or 30000-32767 (NodePort/LoadBalancer only); `externalTrafficPolicy` Cluster or Local (NodePort/LoadBalancer only)",
			[]enumeration{{field: "type", values: []string{"ClusterIP", "NodePort", "LoadBalancer"}}, {field: "externalTrafficPolicy", values: []string{"Cluster", "Local"}}}},
		{"`privileged`, `baseline` or `restricted` per namespace; `app` must be `privileged` without istio-cni", []enumeration{{values: []string{"privileged", "baseline", "restricted"}}}},
		{"bool: spread replicas over zones", []enumeration{{bool: true, values: []string{"true", "false"}}}},
		{"`enabled` bool; `namespace` a DNS-1123 label other than `appNamespace`", []enumeration{{field: "enabled", bool: true, values: []string{"true", "false"}}}},
		{"`api` `istio` or `gateway-api`", []enumeration{{field: "api", values: []string{"istio", "gateway-api"}}}},
		// Not closed lists of values.
		{"DNS-1123 label, not `namespace`", nil},
		{"https:// or oci:// URL", nil},
		{"local directory with the charts (`helm pull` layout or Istio's `manifests/charts`)", nil},
		{"`context` (a directory with a Dockerfile), `dockerfile`, `repository`", nil},
		{"`httpNodePort` 0 or 30000-32767", nil},
		{"Prometheus duration", nil},
	}
	for _, tc := range cases {
		if got := enumerations(tc.cell); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("enumerations(%q) = %+v, want %+v", tc.cell, got, tc.want)
		}
	}
}

// unlisted is a value no README list holds.
const unlisted = "unlisted-value"

// TestREADMEListedValuesAreExactlyTheAcceptedOnes: every value a cell lists
// is accepted, and a value it does not list is refused naming the key.
func TestREADMEListedValuesAreExactlyTheAcceptedOnes(t *testing.T) {
	types := config.KeyTypes()
	dir := root(t)
	checked := 0
	for _, row := range readmeRows(t) {
		for _, key := range row.keys {
			for _, e := range enumerations(row.accepted) {
				for _, target := range enumTargets(t, key, types[key], e) {
					bad := unlisted
					if e.bool {
						bad = "yes"
					}
					for _, v := range e.values {
						t.Run(target.key+"="+v, func(t *testing.T) {
							if refusal := refusalOf(dir, target, key, target.config(key, v, e.bool)); refusal != "" {
								t.Errorf("README lists %s for %s, but it is refused:\n%s", v, target.key, refusal)
							}
						})
					}
					t.Run(target.key+"="+bad, func(t *testing.T) {
						if refusalOf(dir, target, key, target.config(key, bad, false)) == "" {
							t.Errorf("%s accepts %q, which README's list %v does not hold", target.key, bad, e.values)
						}
					})
					checked++
				}
			}
		}
	}
	if checked < 8 {
		t.Errorf("only %d listed value sets found in README's tables; did the cells' wording change?", checked)
	}
}

// enumTarget is where a listed value goes: the key itself, or one field
// of its object.
type enumTarget struct {
	// key is the full key a refusal names, "istio:ingress.type".
	key   string
	field string
}

// enumTargets are the key, its named field, or, for a list given for a
// whole object ("`privileged`, `baseline` or `restricted` per namespace"),
// each of its text fields.
func enumTargets(t *testing.T, key string, typ reflect.Type, e enumeration) []enumTarget {
	switch {
	case typ == nil:
		return nil // TestREADMEDocumentsEveryKey reports it
	case e.field != "":
		return []enumTarget{{key: key + "." + e.field, field: e.field}}
	case typ.Kind() != reflect.Struct:
		return []enumTarget{{key: key}}
	}
	var out []enumTarget
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i); f.Type.Kind() == reflect.String {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, enumTarget{key: key + "." + name, field: name})
		}
	}
	if len(out) == 0 {
		t.Errorf("README lists values for %s, an object without text fields", key)
	}
	return out
}

// config is the configuration setting the target to v: the key's value,
// or an object holding only that field (the rest keep their defaults).
func (tg enumTarget) config(key, v string, isBool bool) map[string]string {
	if tg.field == "" {
		return map[string]string{key: v}
	}
	var value interface{} = v
	if isBool {
		value = v == "true"
	}
	raw, _ := json.Marshal(map[string]interface{}{tg.field: value})
	return map[string]string{key: string(raw)}
}

// refusalOf returns the refusals that name the target's key, or the key
// it is set through (a value of the wrong type), "" when it is accepted:
// refusals of other fields the value leads to (a node port a ClusterIP
// Service cannot have) do not count.
func refusalOf(dir string, tg enumTarget, key string, values map[string]string) string {
	_, err := config.Parse(config.FromMap(values, dir))
	var errs config.Errors
	if err != nil && !errors.As(err, &errs) {
		return err.Error()
	}
	var refused []string
	for _, e := range errs {
		if e.Key == key || e.Key == tg.key {
			refused = append(refused, e.Error())
		}
	}
	return strings.Join(refused, "\n")
}
