package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
)

// argsFileEnv makes the test binary stand in for playk8s under make: it
// writes the arguments it was given to that file and exits.
const argsFileEnv = "PLAYK8S_TEST_ARGS_FILE"

func TestMain(m *testing.M) {
	if out := os.Getenv(argsFileEnv); out != "" {
		raw, _ := json.Marshal(os.Args[1:])
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMakePassesFlagsIntact runs the Makefile's render and verify recipes,
// as a user's shell gives make RENDER_FLAGS='...' (one argument, the
// single quotes removed), with this test binary as playk8s: the flags
// must reach it as written, JSON quotes and spaces included. It runs
// only the recipes: nothing is built (tools and the program are taken as
// current, -o) and the layout make includes is written here.
func TestMakePassesFlagsIntact(t *testing.T) {
	for _, tool := range []string{"make", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	layoutMK := filepath.Join(work, "layout.mk")
	f, err := os.Create(layoutMK)
	if err != nil {
		t.Fatal(err)
	}
	if err := layout.New(root).WriteMake(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	render, _ := lookup("render")
	cases := []struct {
		name, target, variable, value string
		// wantSets are the overrides playk8s then parses (render).
		wantSets map[string]string
	}{
		{name: "JSON", target: "render", variable: "RENDER_FLAGS", value: `-set istio:ingress={"api":"gateway-api"}`,
			wantSets: map[string]string{"istio:ingress": `{"api":"gateway-api"}`}},
		{name: "JSON with spaces, a path, a quote", target: "render", variable: "RENDER_FLAGS",
			value:    `-set istio:ingress={"api": "gateway-api", "type": "NodePort"} -set istio:ingress.nodeSelector["kubernetes.io/os"]=linux -set chain:image=it's`,
			wantSets: map[string]string{"istio:ingress": `{"api": "gateway-api", "type": "NodePort"}`, `istio:ingress.nodeSelector["kubernetes.io/os"]`: "linux", "chain:image": "it's"}},
		{name: "what a shell would expand", target: "render", variable: "RENDER_FLAGS", value: "-set chain:image=`id`;*",
			wantSets: map[string]string{"chain:image": "`id`;*"}},
		{name: "none", target: "render", variable: "RENDER_FLAGS", value: ""},
		{name: "verify", target: "verify", variable: "VERIFY_FLAGS", value: "-api-only -wait 5m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			argsFile := filepath.Join(work, "args.json")
			os.Remove(argsFile)
			cmd := exec.Command("make", "--no-print-directory", "-C", root, tc.target,
				"-o", "tools", "-o", self, "-o", layoutMK,
				"LAYOUT_MK="+layoutMK, "PLAYK8S="+self, "STACK=dev", "RENDER_DIR=out", tc.variable+"="+tc.value)
			cmd.Env = append(cleanMakeEnv(), argsFileEnv+"="+argsFile)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make %s: %v\n%s", tc.target, err, out)
			}
			raw, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatalf("playk8s was not run: %v\n%s", err, out)
			}
			var args []string
			if err := json.Unmarshal(raw, &args); err != nil {
				t.Fatal(err)
			}
			want := []string{"render", "-stack", "dev", "-dir", "out"}
			if tc.target == "verify" {
				want = []string{"verify", "-stack", "dev"}
			}
			if tc.value != "" {
				want = append(want, "-flags", tc.value)
			}
			if !reflect.DeepEqual(args, want) {
				t.Fatalf("playk8s got %q\nwant %q", args, want)
			}
			if tc.wantSets == nil {
				return
			}
			o, err := parseFlags(render, args[1:], io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range o.sets {
				got[k] = v.Value
			}
			if !reflect.DeepEqual(got, tc.wantSets) {
				t.Errorf("overrides %q\nwant %q", got, tc.wantSets)
			}
		})
	}
}

// cleanMakeEnv is the environment without what an outer make (make test
// running go test) or a user's shell would pass the inner one: its flags
// and the variables the recipes read.
func cleanMakeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "RENDER_FLAGS", "VERIFY_FLAGS", "RENDER_DIR", "STACK":
			continue
		}
		env = append(env, kv)
	}
	return env
}
