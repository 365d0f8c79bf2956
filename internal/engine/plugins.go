package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/infra/config"
)

// CheckPlugins refuses, before the engine starts, a configuration that needs
// a provider plugin missing from the private PULUMI_HOME. Only the kubernetes
// provider can be built offline; pulumi-docker (the sample-app build) and
// pulumi-random (Grafana's generated password) cannot, so such a stack gets
// one clear error naming the config that avoids them.
func (e *Engine) CheckPlugins(values map[string]string, secretKeys ...string) error {
	cfg, err := config.Parse(config.FromMap(values, e.opts.Root, secretKeys...))
	if err != nil {
		return err
	}
	var missing []string
	if cfg.Chain.Image == "" && !e.hasPlugin("docker") {
		missing = append(missing, "docker: chain:image is unset, so sample-app would be built with pulumi-docker; set chain:image to a prebuilt image (e.g. "+prebuiltHint()+")")
	}
	if g := cfg.Telemetry.GrafanaSpec; g.Enabled && g.AdminPassword == "" && !e.hasPlugin("random") {
		missing = append(missing, "random: Grafana's admin password would be generated with pulumi-random; set it with `pulumi config set --secret telemetry:grafanaAdminPassword ...`")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("this stack needs provider plugins this engine does not have (a normal Pulumi install fetches them; the offline engine only has kubernetes):\n  %s", strings.Join(missing, "\n  "))
}

func (e *Engine) hasPlugin(name string) bool {
	matches, _ := filepath.Glob(filepath.Join(e.pulumiHome, "plugins", "resource-"+name+"-v*"))
	for _, m := range matches {
		if info, err := os.Stat(m); err == nil && info.IsDir() {
			return true
		}
	}
	return false
}
