package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplitFlags(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"  \t\n", nil},
		{" -set a:b=c\t-api-only\n-wait 5m ", []string{"-set", "a:b=c", "-api-only", "-wait", "5m"}},
		// JSON keeps its quotes and its spaces.
		{`-set istio:ingress={"api":"gateway-api"}`, []string{"-set", `istio:ingress={"api":"gateway-api"}`}},
		{`-set istio:ingress={"api": "gateway-api", "hosts": ["a b", "c"]} -dir out`, []string{"-set", `istio:ingress={"api": "gateway-api", "hosts": ["a b", "c"]}`, "-dir", "out"}},
		{`-set a:b={"q": "a \" } b"}`, []string{"-set", `a:b={"q": "a \" } b"}`}},
		// Pulumi's paths: an index, a quoted name with dots or spaces.
		{`-set chain:hops[0]=a -set a:b["c.d e"]=1`, []string{"-set", "chain:hops[0]=a", "-set", `a:b["c.d e"]=1`}},
		// A string's quotes stay part of the value.
		{`-set a:b="x y"`, []string{"-set", `a:b="x y"`}},
		// No shell: a single quote is a letter, nothing is expanded.
		{`-set a:b='x y' -set a:c=$HOME/* -set a:d=it's`, []string{"-set", "a:b='x", "y'", "-set", "a:c=$HOME/*", "-set", "a:d=it's"}},
		// A closer without its opener is a letter.
		{"-set a:b=x] -dir out", []string{"-set", "a:b=x]", "-dir", "out"}},
	}
	for _, tc := range cases {
		got, err := splitFlags([]string{tc.text})
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitFlags(%q) = %q, %v; want %q", tc.text, got, err, tc.want)
		}
	}
	if got, err := splitFlags([]string{"-api-only", "-wait 5m"}); err != nil || !reflect.DeepEqual(got, []string{"-api-only", "-wait", "5m"}) {
		t.Errorf("two texts: %q, %v", got, err)
	}
}

// TestSplitFlagsRefusesUnclosed: an unclosed quote, bracket or brace
// would join the rest of the text into one argument; the refusal names
// the word up to it, never what follows (a secret may).
func TestSplitFlagsRefusesUnclosed(t *testing.T) {
	cases := []struct{ text, want string }{
		{`-set a:b={"x": 1 -dir out`, `the { in "a:b={"`},
		{`-set a:b={"x": "1} hidden`, `the " in "a:b={\"x\": \""`},
		{`-set chain:hops[0=a hidden`, `the [ in "chain:hops["`},
		{`-set a:b={"x": [1, 2} hidden`, `the [ in "a:b={\"x\": ["`},
	}
	for _, tc := range cases {
		got, err := splitFlags([]string{tc.text})
		if err == nil {
			t.Errorf("splitFlags(%q) = %q; want a refusal", tc.text, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "never closed") {
			t.Errorf("splitFlags(%q): error %q lacks %q", tc.text, err, tc.want)
		}
		if strings.Contains(err.Error(), "hidden") || strings.Contains(err.Error(), "-dir out") {
			t.Errorf("splitFlags(%q): error %q names what follows the unclosed mark", tc.text, err)
		}
	}
}

// TestFlagsFlag: -flags' words are parsed as the command line's, with
// the same refusals.
func TestFlagsFlag(t *testing.T) {
	render, _ := lookup("render")
	o, err := parseFlags(render, []string{"-stack", "prod", "-flags", `-dir out -set istio:ingress={"api": "gateway-api"}`, "-flags", "-set chain:image=x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.stack != "prod" || o.dir != "out" || o.sets["istio:ingress"].Value != `{"api": "gateway-api"}` || o.sets["chain:image"].Value != "x" {
		t.Errorf("parsed %+v", o)
	}
	verify, _ := lookup("verify")
	if o, err := parseFlags(verify, []string{"-flags", "-api-only -wait 5m"}, io.Discard); err != nil || !o.apiOnly || o.wait != 5*time.Minute {
		t.Errorf("verify -flags: %+v, %v", o, err)
	}
	up, _ := lookup("up")
	if o, err := parseFlags(up, []string{"-flags", ""}, io.Discard); err != nil {
		t.Errorf("up with an empty -flags: %+v, %v", o, err)
	}
	cases := []struct {
		cmd  command
		args []string
		want string
	}{
		{up, []string{"-flags", "-dir x"}, "up does not take -dir"},
		{render, []string{"-flags", "-set a:b=c extra"}, `unexpected argument "extra"`},
		{render, []string{"-flags", "-flags -dir"}, "holds another -flags"},
		{render, []string{"-flags", "-nope"}, "flag provided but not defined: -nope"},
		{render, []string{"-flags", "-set-secret a:b=s3cr3t"}, "-set-secret: a secret's value on the command line"},
	}
	for _, tc := range cases {
		_, err := parseFlags(tc.cmd, tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: error %v; want %q", tc.cmd.name, tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s %q: the refusal prints the secret: %v", tc.cmd.name, tc.args, err)
		}
	}
}
