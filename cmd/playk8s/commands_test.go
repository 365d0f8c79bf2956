package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestCommandTable pins what each command needs before it runs: a change
// to a row (a command that starts creating namespaces, stops validating,
// or runs without recovery) shows up here.
func TestCommandTable(t *testing.T) {
	type row struct {
		engine     bool
		validate   validation
		cluster    bool
		namespaces string
		stack      bool
		recovers   bool
		steps      []string
	}
	want := map[string]row{
		"preview": {true, validateForProgram, true, "", true, false, []string{"engine", "stack file", "validate", "cluster", "stack", "preview"}},
		"up":      {true, validateForProgram, true, "create", true, true, []string{"engine", "stack file", "validate", "cluster", "stack", "recover", "up"}},
		"destroy": {true, validateForProgram, true, "delete", true, true, []string{"engine", "stack file", "validate", "cluster", "stack", "recover", "destroy"}},
		"refresh": {true, validateForProgram, true, "", true, true, []string{"engine", "stack file", "validate", "cluster", "stack", "recover", "refresh"}},
		"render":  {true, validateForProgram, false, "", false, false, []string{"engine", "stack file", "validate", "render"}},
		// verify reads state only: every value checked, no plugin needed.
		"verify": {true, validateConfig, true, "", true, false, []string{"engine", "stack file", "validate", "cluster", "stack", "verify"}},
		"env":    {true, noValidation, false, "", false, false, []string{"engine", "env"}},
		// doctor needs nothing built: it is what to run when nothing is.
		"doctor": {false, noValidation, false, "", false, false, []string{"doctor"}},
	}
	if len(commands) != len(want) {
		t.Errorf("the table has %d commands, want %d: %v", len(commands), len(want), commandNames())
	}
	for _, c := range commands {
		w, ok := want[c.name]
		if !ok {
			t.Errorf("command %q is not pinned by this test", c.name)
			continue
		}
		got := row{c.engine, c.validate, c.cluster, c.namespaces, c.stack, c.recovers, stepNames(c)}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: %+v\nwant %+v", c.name, got, w)
		}
		if c.run == nil || c.summary == "" {
			t.Errorf("%s has no run function or summary", c.name)
		}
	}
}

// TestStepOrder holds for every row: a step only runs after the steps
// whose results it uses.
func TestStepOrder(t *testing.T) {
	needs := map[string][]string{
		"validate": {"stack file"},
		"cluster":  {"stack file"},
		"stack":    {"engine"},
		// recovery repairs the stack's lock and the cluster's Helm releases.
		"recover": {"cluster", "stack"},
	}
	for _, c := range commands {
		seen := map[string]bool{}
		names := stepNames(c)
		for _, s := range names {
			for _, n := range needs[s] {
				if !seen[n] {
					t.Errorf("%s: step %q runs without %q before it: %v", c.name, s, n, names)
				}
			}
			seen[s] = true
		}
		if names[len(names)-1] != c.name {
			t.Errorf("%s: the command does not run last: %v", c.name, names)
		}
		if c.namespaces != "" && !c.cluster {
			t.Errorf("%s asks for a namespace permission without checking the cluster", c.name)
		}
	}
}

func stepNames(c command) []string {
	var out []string
	for _, s := range c.steps() {
		out = append(out, s.name)
	}
	return out
}

func TestLookup(t *testing.T) {
	for _, name := range commandNames() {
		if c, err := lookup(name); err != nil || c.name != name {
			t.Errorf("lookup(%q) = %q, %v", name, c.name, err)
		}
	}
	_, err := lookup("deploy")
	if err == nil {
		t.Fatal("an unknown command was accepted")
	}
	for _, want := range append([]string{`"deploy"`}, commandNames()...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestRunRefusesBeforeAnythingRuns(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{nil, []string{"no command", "preview", "doctor"}},
		{[]string{"deploy"}, []string{`unknown command "deploy"`, "up, destroy"}},
		{[]string{"up", "-dir", "x"}, []string{"up does not take -dir", "-stack, -root, -refresh"}},
		{[]string{"destroy", "-refresh"}, []string{"destroy does not take -refresh", "it takes -stack, -root"}},
		{[]string{"env", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"render", "-set", "novalue"}, []string{"want namespace:key=value"}},
	}
	for _, tc := range cases {
		err := run(tc.args, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", tc.args, err, w)
			}
		}
	}
}

func TestParseFlagsTakesTheRowsFlags(t *testing.T) {
	c, _ := lookup("render")
	t.Setenv("GRAFANA_PASSWORD", "pw")
	o, err := parseFlags(c, []string{"-stack", "prod", "-dir", "out", "-set", "chain:image=x", "-set-secret-env", "telemetry:grafanaAdminPassword=GRAFANA_PASSWORD"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.stack != "prod" || o.dir != "out" || o.sets["chain:image"].Value != "x" || !o.sets["telemetry:grafanaAdminPassword"].Secret {
		t.Errorf("parsed %+v", o)
	}
	c, _ = lookup("preview")
	if o, err := parseFlags(c, []string{"-refresh"}, io.Discard); err != nil || !o.refresh {
		t.Errorf("preview -refresh: %+v, %v", o, err)
	}
}

func TestUsageListsEveryCommand(t *testing.T) {
	u := usage()
	for _, c := range commands {
		if !strings.Contains(u, "  "+c.name+" ") {
			t.Errorf("usage lacks %s:\n%s", c.name, u)
		}
	}
}
