package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/infra/config"
)

// ValidateStackFile refuses, before anything runs, a stack file the
// program would refuse: every key and value is checked, all problems in
// one error, each naming the key, the value and what is accepted.
//
// When the command runs the program (runsProgram), it also refuses a
// configuration that needs a provider plugin missing from the private
// PULUMI_HOME. Only the kubernetes provider can be built offline;
// pulumi-docker (the sample-app build) and pulumi-random (Grafana's
// generated password) cannot, so such a stack gets one clear error naming
// the config that avoids them. Commands that only read the stack's state
// (verify) load no plugin and skip that check.
func (l Layout) ValidateStackFile(values map[string]string, secretKeys []string, runsProgram bool) error {
	cfg, err := config.Parse(config.FromMap(values, l.Root, secretKeys...))
	if err != nil {
		return err
	}
	if !runsProgram {
		return nil
	}
	var missing []string
	if cfg.Chain.Image == "" && !l.hasPlugin("docker") {
		missing = append(missing, "docker: chain:image is unset, so sample-app would be built with pulumi-docker; set chain:image to a prebuilt image (e.g. "+prebuiltHint()+")")
	}
	if g := cfg.Telemetry.GrafanaSpec; g.Enabled && g.AdminPassword == "" && !l.hasPlugin("random") {
		missing = append(missing, "random: Grafana's admin password would be generated with pulumi-random; set it with `pulumi config set --secret telemetry:grafanaAdminPassword ...`")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("this stack needs provider plugins this engine does not have (a normal Pulumi install fetches them; the offline engine only has kubernetes):\n  %s", strings.Join(missing, "\n  "))
}

// hasPlugin reports whether a resource plugin of that name is installed
// in the private PULUMI_HOME, at any version.
func (l Layout) hasPlugin(name string) bool {
	matches, _ := filepath.Glob(filepath.Join(l.PulumiHome, "plugins", "resource-"+name+"-v*"))
	for _, m := range matches {
		if info, err := os.Stat(m); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}
