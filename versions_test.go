package playk8s_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/readme"
	"golang.org/x/mod/modfile"
	"sigs.k8s.io/yaml"
)

// TestSDKPinsMatchGoMod: versions.env lists the Go SDK versions for users to
// read; go.mod is what builds. They must not drift apart.
func TestSDKPinsMatchGoMod(t *testing.T) {
	raw, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.Parse("go.mod", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	required := map[string]string{}
	for _, r := range mod.Require {
		required[r.Mod.Path] = r.Mod.Version
	}
	for key, path := range map[string]string{
		"PULUMI_SDK_VERSION":            "github.com/pulumi/pulumi/sdk/v3",
		"PULUMI_KUBERNETES_SDK_VERSION": "github.com/pulumi/pulumi-kubernetes/sdk/v4",
		"PULUMI_DOCKER_SDK_VERSION":     "github.com/pulumi/pulumi-docker/sdk/v4",
		"PULUMI_RANDOM_SDK_VERSION":     "github.com/pulumi/pulumi-random/sdk/v4",
		// The Gateway API's Go types (HTTPRoute, Gateway) and its embedded CRDs are one version.
		"GATEWAY_API_VERSION": "sigs.k8s.io/gateway-api",
	} {
		if got, want := required[path], playk8s.Version(key); got != want {
			t.Errorf("go.mod requires %s %s, versions.env says %s=%s", path, got, key, want)
		}
	}
	// The kubernetes provider the engine runs must be the one the SDK asks for.
	if sdk, provider := playk8s.Version("PULUMI_KUBERNETES_SDK_VERSION"), playk8s.Version("PULUMI_KUBERNETES_PROVIDER_VERSION"); strings.TrimPrefix(sdk, "v") != provider {
		t.Errorf("kubernetes SDK %s but provider %s", sdk, provider)
	}
}

func TestVersionsEnvIsWellFormed(t *testing.T) {
	for key, value := range playk8s.Versions() {
		if value == "" || strings.ContainsAny(value, " \"'") {
			t.Errorf("%s=%q: values must be non-empty, unquoted and without spaces (make includes this file)", key, value)
		}
	}
	for _, key := range []string{"ISTIO_CHART_REPO", "ISTIO_VERSION", "JAEGER_IMAGE", "PROMETHEUS_IMAGE", "GRAFANA_IMAGE", "KIALI_IMAGE", "JAEGER_VERSION"} {
		if _, ok := playk8s.Versions()[key]; !ok {
			t.Errorf("versions.env lacks %s", key)
		}
	}
}

// TestSampleAppImageIsWhatReleaseWorkflowPublishes: SAMPLE_APP_IMAGE, which
// stacks deploy when nothing is built, must be a name the release workflow
// pushes: ghcr.io/<repository owner>/sample-app:<version of a v* tag>.
func TestSampleAppImageIsWhatReleaseWorkflowPublishes(t *testing.T) {
	raw, err := os.ReadFile(".github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Uses string            `json:"uses"`
				With map[string]string `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	var images, tags string
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "docker/metadata-action@") {
				images, tags = s.With["images"], s.With["tags"]
			}
		}
	}
	if images != "ghcr.io/${{ github.repository_owner }}/sample-app" || !strings.Contains(tags, "type=semver,pattern={{version}}") {
		t.Fatalf("release.yml publishes %q with tags %q; want ghcr.io/${{ github.repository_owner }}/sample-app tagged {{version}}", images, tags)
	}
	modRaw, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	owner := strings.Split(modfile.ModulePath(modRaw), "/")[1] // github.com/<owner>/<repo>
	image := playk8s.Version("SAMPLE_APP_IMAGE")
	repo, tag, _ := strings.Cut(image, ":")
	if repo != "ghcr.io/"+owner+"/sample-app" || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(tag) {
		t.Errorf("SAMPLE_APP_IMAGE=%s; the release workflow publishes ghcr.io/%s/sample-app:<major.minor.patch> from tag v<major.minor.patch>", image, owner)
	}
}

// TestREADMESupportedVersionsAreThePins: every "`value` (`KEY`)" of the
// README's Supported versions table is versions.env's value of KEY, and
// the table names every pin users ask about, so it cannot drift.
func TestREADMESupportedVersionsAreThePins(t *testing.T) {
	section, err := readme.Section("README.md", "Supported versions")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile("`([^`]+)` \\(`([A-Z0-9_]+)`\\)").FindAllStringSubmatch(section, -1) {
		value, key := m[1], m[2]
		seen[key] = true
		want, ok := playk8s.Versions()[key]
		if !ok {
			t.Errorf("README's Supported versions name %s, which versions.env lacks", key)
			continue
		}
		if value != want {
			t.Errorf("README's Supported versions say %s is %s; versions.env says %s", key, value, want)
		}
	}
	for _, key := range []string{"ISTIO_KUBERNETES_MIN", "ISTIO_KUBERNETES_MAX", "K8S_VERSION", "ISTIO_VERSION", "ISTIO_MODULE_VERSION",
		"PULUMI_CLI_VERSION", "PULUMI_SDK_VERSION", "PULUMI_KUBERNETES_PROVIDER_VERSION", "HELM_VERSION",
		"JAEGER_IMAGE", "JAEGER_VERSION", "PROMETHEUS_IMAGE", "PROMETHEUS_MODULE_VERSION", "KIALI_IMAGE", "GATEWAY_API_VERSION",
		"ETCD_VERSION", "CONTAINERD_VERSION", "RUNC_VERSION"} {
		if !seen[key] {
			t.Errorf("README's Supported versions do not show %s", key)
		}
	}
}

// unrenovated are the versions.env keys no Renovate rule follows, each
// with why: names and facts rather than releases, and pins Renovate
// cannot move.
var unrenovated = map[string]string{
	"ISTIO_CHART_REPO":                          "a repository, not a version",
	"ISTIO_KUBERNETES_MIN":                      "a fact about ISTIO_VERSION, checked when it moves (test/engine holds the minimum to the Istio module's)",
	"ISTIO_KUBERNETES_MAX":                      "a fact about ISTIO_VERSION, checked when it moves (Istio's supported-releases page)",
	"ISTIO_MODULE_VERSION":                      "a pseudo-version: istio.io/istio tags no module releases; moved by hand with ISTIO_VERSION",
	"PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION": "a pseudo-version: the provider's module has no tags of its own; moved by hand with PULUMI_KUBERNETES_PROVIDER_VERSION",
	"RENOVATE_VERSION":                          "the newest Renovate that runs on this machine's Node.js 20; newer ones need Node.js 24",
	"NGINX_IMAGE":                               "a channel tag (stable-alpine) that follows nginx's stable releases by itself",
	"SAMPLE_APP_IMAGE":                          "this project's own image, published by the release workflow",
	"SANDBOX_NGINX_IMAGE":                       "the name of an image built here",
	"SANDBOX_NGINX_UPDATE_IMAGE":                "the name of an image built here",
	"SANDBOX_SAMPLE_APP_IMAGE":                  "the name of an image built here",
	"SANDBOX_TOOLBOX_IMAGE":                     "the name of an image built here",
	"SANDBOX_ISTIO_HUB":                         "the name of images built here",
	"SANDBOX_ISTIO_TAG":                         "the tag of images built here",
}

// TestEveryPinIsRenovated applies renovate.json's own versions.env
// manager (its regular expression, as Renovate would) to versions.env:
// every pin is matched, with the version the file holds, unless
// unrenovated says why not; so a new pin without a rule fails here.
func TestEveryPinIsRenovated(t *testing.T) {
	raw, err := os.ReadFile("renovate.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		CustomManagers []struct {
			FileMatch    []string `json:"fileMatch"`
			MatchStrings []string `json:"matchStrings"`
		} `json:"customManagers"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile("versions.env")
	if err != nil {
		t.Fatal(err)
	}
	matched := map[string]string{}
	for _, m := range cfg.CustomManagers {
		if !slices.ContainsFunc(m.FileMatch, func(f string) bool { return regexp.MustCompile(f).MatchString("versions.env") }) {
			continue
		}
		for _, pattern := range m.MatchStrings {
			re := regexp.MustCompile(pattern)
			for _, sub := range re.FindAllStringSubmatch(string(env), -1) {
				key, _, _ := strings.Cut(strings.Split(sub[0], "\n")[1], "=")
				matched[key] = sub[re.SubexpIndex("currentValue")]
			}
		}
	}
	for key, value := range playk8s.Versions() {
		current, ok := matched[key]
		_, exempt := unrenovated[key]
		switch {
		case ok && exempt:
			t.Errorf("%s is both renovated and listed as not", key)
		case !ok && !exempt:
			t.Errorf("%s=%s has no Renovate rule: add a '# renovate: datasource=... depName=...' line above it, or say in unrenovated why not", key, value)
		case ok && !strings.HasSuffix(value, current):
			t.Errorf("Renovate reads %s as %q; versions.env holds %s", key, current, value)
		}
	}
	for key := range unrenovated {
		if _, ok := playk8s.Versions()[key]; !ok {
			t.Errorf("unrenovated lists %s, which versions.env lacks", key)
		}
	}
}

// TestRenovateValidatorPin: tools/renovate's package pins the validator
// at RENOVATE_VERSION.
func TestRenovateValidatorPin(t *testing.T) {
	raw, err := os.ReadFile("tools/renovate/package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		t.Fatal(err)
	}
	if got, want := pkg.Dependencies["renovate"], playk8s.Version("RENOVATE_VERSION"); got != want {
		t.Errorf("tools/renovate pins renovate %q; versions.env says %s", got, want)
	}
}

// TestKialiIsTheMinorIstiosAddonInstalls: KIALI_IMAGE is a release of the
// Kiali minor the pinned istio.io/istio module's addon installs, the one
// that Istio release was tested with; moving either pin alone fails here.
func TestKialiIsTheMinorIstiosAddonInstalls(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the pinned istio.io/istio module for its addon")
	}
	module, err := layout.IstioModule(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	addon, err := os.ReadFile(filepath.Join(module, "samples", "addons", "kiali.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`image: "?quay\.io/kiali/kiali:(v\d+\.\d+)`).FindSubmatch(addon)
	if m == nil {
		t.Fatal("the pinned module's samples/addons/kiali.yaml names no quay.io/kiali/kiali image")
	}
	pinned := playk8s.Version("KIALI_IMAGE")
	if !strings.HasPrefix(pinned, "quay.io/kiali/kiali:"+string(m[1])+".") {
		t.Errorf("KIALI_IMAGE=%s, want a release of %s, the minor Istio's addon installs", pinned, m[1])
	}
}
