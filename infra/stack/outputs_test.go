package stack_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/readme"
	"github.com/play-kubernetes/play-kubernetes/internal/stackoutput"
)

// TestOutputsAreTheContract holds the stack's exports to
// internal/stackoutput, the names verify and the e2e tests read: every
// stack exports the outputs named always there and nothing unnamed, and
// the stacks below together export every name (the conditional ones with
// Grafana on prod, render mode, Kiali on dev, a hop run in versions).
func TestOutputsAreTheContract(t *testing.T) {
	projectRoot(t)
	dev := loadStack(t, "dev")
	rendered := maps.Clone(dev)
	rendered["kubernetes:renderYamlToDirectory"] = t.TempDir()
	prod := loadStack(t, "prod")
	prod["chain:registryPassword"] = "registry-token"
	withKiali := maps.Clone(dev)
	withKiali["telemetry:kiali"] = "true"
	versioned := maps.Clone(dev)
	versioned["chain:traffic"] = `{"c": {"versions": [{"name": "v1", "weight": 90}, {"name": "v2", "weight": 10}]}}`
	exported := map[string]bool{}
	for name, run := range map[string]struct {
		cfg     map[string]string
		secrets []string
	}{
		"dev":               {dev, nil},
		"dev render":        {rendered, nil},
		"prod":              {prod, []string{"chain:registryPassword"}},
		"dev kiali":         {withKiali, nil},
		"dev with versions": {versioned, nil},
	} {
		_, out, err := runStack(t, run.cfg, run.secrets...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for output := range out {
			if !slices.Contains(stackoutput.All(), output) {
				t.Errorf("%s exports %s, which internal/stackoutput does not name", name, output)
			}
			exported[output] = true
		}
		for _, always := range stackoutput.Always() {
			if _, ok := out[always]; !ok {
				t.Errorf("%s does not export %s", name, always)
			}
		}
	}
	for _, output := range stackoutput.All() {
		if !exported[output] {
			t.Errorf("no stack exports %s", output)
		}
	}
}

// TestREADMEListsEveryOutput: the README's Outputs table is the users'
// reference of the contract.
func TestREADMEListsEveryOutput(t *testing.T) {
	section, err := readme.Section("../../README.md", "Outputs")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range regexp.MustCompile("`([a-zA-Z]+)`").FindAllStringSubmatch(cells[1], -1) {
			listed[m[1]] = true
		}
	}
	for _, output := range stackoutput.All() {
		if !listed[output] {
			t.Errorf("README's Outputs table does not list %s", output)
		}
	}
	for output := range listed {
		if !slices.Contains(stackoutput.All(), output) {
			t.Errorf("README's Outputs table lists %s, which the stack does not export", output)
		}
	}
}
