package doctor

import (
	"context"
	"errors"
	playk8s "github.com/play-kubernetes/play-kubernetes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// fakeMachine answers from maps; anything not listed is absent or fails.
type fakeMachine struct {
	files   map[string]bool
	onPath  map[string]bool
	env     map[string]string
	dialOK  map[string]bool // "network address"
	target  clustertarget.Target
	noTgt   error
	readyOK map[string]bool // by the values' kubernetes:kubeconfig ("" = the user's)
	version string          // the cluster's; "" = the sandbox's pinned one
}

func (f fakeMachine) Exists(p string) bool   { return f.files[p] }
func (f fakeMachine) LookPath(n string) bool { return f.onPath[n] }
func (f fakeMachine) Getenv(k string) string { return f.env[k] }
func (f fakeMachine) Cluster(map[string]string) (clustertarget.Target, error) {
	return f.target, f.noTgt
}

func (f fakeMachine) Dial(_ context.Context, network, address string) error {
	if f.dialOK[network+" "+address] {
		return nil
	}
	return errors.New("connection refused")
}

func (f fakeMachine) Ready(_ context.Context, values map[string]string) error {
	if f.readyOK[values["kubernetes:kubeconfig"]] {
		return nil
	}
	return errors.New("connection refused")
}

func (f fakeMachine) ServerVersion(context.Context, map[string]string) (string, error) {
	if f.version == "" {
		return playk8s.Version("K8S_VERSION"), nil
	}
	return f.version, nil
}

const (
	root      = "/p"
	sandboxKC = "/p/.state/sandbox/kubeconfig"
)

var plan = toolbuild.Plan{
	{Name: "Pulumi CLI", Outputs: []string{".tools/pulumi"}, Cold: 8 * time.Minute},
	{Name: "kubernetes provider", Outputs: []string{".tools/provider"}, Cold: 13 * time.Minute},
	{Name: "images"}, // no outputs: never reported
}

func builtTools() map[string]bool {
	return map[string]bool{filepath.Join(root, ".tools/pulumi"): true, filepath.Join(root, ".tools/provider"): true}
}

func with(files map[string]bool, more ...string) map[string]bool {
	out := map[string]bool{}
	for k, v := range files {
		out[k] = v
	}
	for _, m := range more {
		out[m] = true
	}
	return out
}

func sandboxInput() Input {
	return Input{Root: root, Plan: plan, Stack: "sandbox", StackFile: "/p/Pulumi.sandbox.yaml", Stacks: []string{"dev", "prod", "sandbox"},
		Values:     map[string]string{"kubernetes:context": "sandbox", "chain:image": "localhost/sample-app:sandbox"},
		Kubeconfig: sandboxKC, SandboxKubeconfig: sandboxKC}
}

func devInput(values map[string]string) Input {
	in := sandboxInput()
	in.Stack, in.StackFile, in.Kubeconfig = "dev", "/p/Pulumi.dev.yaml", ""
	in.Values = values
	return in
}

var sandboxTarget = clustertarget.Target{Context: "sandbox", Server: "https://127.0.0.1:16443"}
var minikubeTarget = clustertarget.Target{Context: "minikube", Server: "https://192.168.49.2:8443"}

func TestRun(t *testing.T) {
	cases := []struct {
		name    string
		machine fakeMachine
		in      func() Input
		// problems maps each expected problem's check to a substring of its fix.
		problems map[string]string
		// says are substrings the report must contain.
		says []string
	}{
		{
			name:    "sandbox up, everything built",
			machine: fakeMachine{files: with(builtTools(), sandboxKC), target: sandboxTarget, readyOK: map[string]bool{sandboxKC: true}},
			in:      sandboxInput,
			says:    []string{`kube context "sandbox" at https://127.0.0.1:16443`, "up: the API server", "no problems found"},
		},
		{
			name:     "a tool missing",
			machine:  fakeMachine{files: with(map[string]bool{filepath.Join(root, ".tools/pulumi"): true}, sandboxKC), target: sandboxTarget, readyOK: map[string]bool{sandboxKC: true}},
			in:       sandboxInput,
			problems: map[string]string{"kubernetes provider": "make tools"},
			says:     []string{"about 13 min", "Pulumi CLI: built"},
		},
		{
			name:     "every tool missing: one make tools for all",
			machine:  fakeMachine{files: map[string]bool{sandboxKC: true}, target: sandboxTarget, readyOK: map[string]bool{sandboxKC: true}},
			in:       sandboxInput,
			problems: map[string]string{"Pulumi CLI": "make tools", "kubernetes provider": "make tools"},
			says:     []string{"builds the 2 missing tools (the first `make up` runs it too); about 21 min"},
		},
		{
			name:     "sandbox never started",
			machine:  fakeMachine{files: builtTools()},
			in:       sandboxInput,
			problems: map[string]string{"sandbox": "make sandbox"},
			says:     []string{"not running (no kubeconfig at " + sandboxKC},
		},
		{
			name:     "sandbox started but its API server gone",
			machine:  fakeMachine{files: with(builtTools(), sandboxKC), target: sandboxTarget},
			in:       sandboxInput,
			problems: map[string]string{"sandbox": "make sandbox"},
			says:     []string{"https://127.0.0.1:16443 does not answer"},
		},
		{
			name:    "no stack file: nothing else about the stack is checked",
			machine: fakeMachine{files: builtTools()},
			in: func() Input {
				in := sandboxInput()
				in.Stack, in.StackFile, in.LoadErr = "staging", "/p/Pulumi.staging.yaml", errors.New("no such file")
				return in
			},
			problems: map[string]string{"stack file": "make doctor STACK=<dev|prod|sandbox>"},
		},
		{
			name:    "a refused value",
			machine: fakeMachine{files: with(builtTools(), sandboxKC), target: sandboxTarget, readyOK: map[string]bool{sandboxKC: true}},
			in: func() Input {
				in := sandboxInput()
				in.Validate = func(map[string]string, []string) error {
					return errors.New(`webserver:replicas: "-1" is not accepted; want an integer >= 0`)
				}
				return in
			},
			problems: map[string]string{"stack file": "pulumi config set <key> <value> -s sandbox"},
			says:     []string{`webserver:replicas: "-1" is not accepted`},
		},
		{
			name:    "sandbox not started: its stack file's paths under .state/ do not exist yet",
			machine: fakeMachine{files: builtTools()},
			in: func() Input {
				in := sandboxInput()
				in.Validate = func(map[string]string, []string) error {
					return errors.New(`istio:chartDir: "/p/.state/istio-charts" is not accepted`)
				}
				return in
			},
			problems: map[string]string{"stack file": "make sandbox first", "sandbox": "make sandbox"},
		},
		{
			name:    "dev: no minikube, its cluster down, Docker not minikube's",
			machine: fakeMachine{files: builtTools(), target: minikubeTarget},
			in:      func() Input { return devInput(map[string]string{"kubernetes:context": "minikube"}) },
			problems: map[string]string{
				"cluster":           "make minikube",
				"minikube":          "https://minikube.sigs.k8s.io",
				"minikube's Docker": "eval $(minikube docker-env)",
			},
			says: []string{`kube context "minikube" at https://192.168.49.2:8443`, "sandbox: not running"},
		},
		{
			name: "dev: minikube's Docker set but not answering",
			machine: fakeMachine{files: builtTools(), target: minikubeTarget, onPath: map[string]bool{"minikube": true}, readyOK: map[string]bool{"": true},
				env: map[string]string{"MINIKUBE_ACTIVE_DOCKERD": "minikube", "DOCKER_HOST": "tcp://192.168.49.2:2376"}},
			in:       func() Input { return devInput(map[string]string{"kubernetes:context": "minikube"}) },
			problems: map[string]string{"minikube's Docker": "make minikube, then eval $(minikube docker-env)"},
			says:     []string{"tcp 192.168.49.2:2376 does not answer"},
		},
		{
			name: "dev: all well, the sandbox up aside is not a problem",
			machine: fakeMachine{files: with(builtTools(), sandboxKC), target: minikubeTarget, onPath: map[string]bool{"minikube": true},
				readyOK: map[string]bool{"": true, sandboxKC: true},
				env:     map[string]string{"MINIKUBE_ACTIVE_DOCKERD": "minikube", "DOCKER_HOST": "tcp://192.168.49.2:2376"},
				dialOK:  map[string]bool{"tcp 192.168.49.2:2376": true}},
			in:   func() Input { return devInput(map[string]string{"kubernetes:context": "minikube"}) },
			says: []string{"sandbox: up (not this stack's cluster)", "minikube's Docker: answers", "no problems found"},
		},
		{
			name:    "dev with a prebuilt image needs no Docker",
			machine: fakeMachine{files: builtTools(), target: minikubeTarget, onPath: map[string]bool{"minikube": true}, readyOK: map[string]bool{"": true}},
			in: func() Input {
				return devInput(map[string]string{"kubernetes:context": "minikube", "chain:image": "ghcr.io/o/sample-app:1"})
			},
		},
		{
			name:    "dev after the sandbox's env: KUBECONFIG still points at the sandbox",
			machine: fakeMachine{files: builtTools(), env: map[string]string{"KUBECONFIG": sandboxKC}, onPath: map[string]bool{"minikube": true}, noTgt: errors.New(`context "minikube" does not exist`)},
			in: func() Input {
				return devInput(map[string]string{"kubernetes:context": "minikube", "chain:image": "ghcr.io/o/sample-app:1"})
			},
			problems: map[string]string{"cluster": "unset KUBECONFIG"},
		},
		{
			name:    "dev: a cluster older than the pinned Istio supports",
			machine: fakeMachine{files: builtTools(), target: minikubeTarget, onPath: map[string]bool{"minikube": true}, readyOK: map[string]bool{"": true}, version: "v1.29.3"},
			in: func() Input {
				return devInput(map[string]string{"kubernetes:context": "minikube", "chain:image": "ghcr.io/o/sample-app:1"})
			},
			problems: map[string]string{"kubernetes": "istio:allowUnsupportedKubernetes true"},
			says:     []string{"v1.29.3; Istio " + playk8s.Version("ISTIO_VERSION") + " supports Kubernetes " + playk8s.Version("ISTIO_KUBERNETES_MIN")},
		},
		{
			name:    "dev: an unsupported cluster the user goes on with",
			machine: fakeMachine{files: builtTools(), target: minikubeTarget, onPath: map[string]bool{"minikube": true}, readyOK: map[string]bool{"": true}, version: "v1.29.3"},
			in: func() Input {
				return devInput(map[string]string{"kubernetes:context": "minikube", "chain:image": "ghcr.io/o/sample-app:1", "istio:allowUnsupportedKubernetes": "true"})
			},
			says: []string{"kubernetes: v1.29.3, outside what Istio", "lets preview and up go on"},
		},
		{
			name:    "dev on another Istio release: not judged by the pinned one's range",
			machine: fakeMachine{files: builtTools(), target: minikubeTarget, onPath: map[string]bool{"minikube": true}, readyOK: map[string]bool{"": true}, version: "v1.29.3"},
			in: func() Input {
				return devInput(map[string]string{"kubernetes:context": "minikube", "chain:image": "ghcr.io/o/sample-app:1", "istio:version": "1.27.1"})
			},
			says: []string{"the stack installs Istio 1.27.1"},
		},
		{
			name:     "prod: no such kube context",
			machine:  fakeMachine{files: builtTools(), noTgt: errors.New(`context "prod" does not exist`)},
			in:       func() Input { return devInput(map[string]string{"kubernetes:context": "prod"}) },
			problems: map[string]string{"cluster": "kubectl config get-contexts"},
			says:     []string{`context "prod" does not exist`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Run(context.Background(), tc.machine, tc.in())
			var out strings.Builder
			if err := r.Write(&out); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range r.Findings {
				if f.Status == Problem {
					if f.Fix == "" {
						t.Errorf("problem %q has no fix", f.Check)
					}
					got[f.Check] = f.Fix
				}
			}
			if len(got) != len(tc.problems) || r.Problems() != len(tc.problems) {
				t.Errorf("problems %v, want the checks %v\n%s", got, tc.problems, out.String())
			}
			for check, fix := range tc.problems {
				if !strings.Contains(got[check], fix) {
					t.Errorf("%s: fix %q lacks %q\n%s", check, got[check], fix, out.String())
				}
			}
			for _, s := range tc.says {
				if !strings.Contains(out.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

func TestDockerAddress(t *testing.T) {
	for host, want := range map[string]string{
		"":                               "unix /var/run/docker.sock",
		"unix:///run/user/1/docker.sock": "unix /run/user/1/docker.sock",
		"tcp://192.168.49.2:2376":        "tcp 192.168.49.2:2376",
	} {
		n, a := dockerAddress(host)
		if n+" "+a != want {
			t.Errorf("dockerAddress(%q) = %s %s, want %s", host, n, a, want)
		}
	}
}

func TestWriteCountsProblems(t *testing.T) {
	r := Report{Stack: "x", Findings: []Finding{
		{Check: "a", Status: Problem, Detail: "line one\nline two", Fix: "do a"},
		{Check: "b", Status: OK, Detail: "fine"},
	}}
	var out strings.Builder
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PROBLEM  a: line one\n", "line two\n", "fix: do a\n", "ok       b: fine\n", "1 problem found\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
