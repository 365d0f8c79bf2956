package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateStackFile(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sample-app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "sample-app", "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	l := Layout{Root: root, PulumiHome: home}

	cases := []struct {
		name        string
		values      map[string]string
		secrets     []string
		runsProgram bool
		want        []string // substrings of the error; none means no error
	}{
		{"prebuilt image, no Grafana", map[string]string{"chain:image": "ghcr.io/o/sample-app:1"}, nil, true, nil},
		{"build needs docker", map[string]string{}, nil, true, []string{"docker:", "chain:image"}},
		{"generated password needs random", map[string]string{"chain:image": "ghcr.io/o/s:1", "telemetry:grafana": "true"}, nil, true, []string{"random:", "telemetry:grafanaAdminPassword"}},
		{"given password", map[string]string{"chain:image": "ghcr.io/o/s:1", "telemetry:grafana": "true", "telemetry:grafanaAdminPassword": "pw"}, []string{"telemetry:grafanaAdminPassword"}, true, nil},
		{"bad config is reported first", map[string]string{"webserver:replicas": "-1"}, nil, true, []string{"webserver:replicas"}},
		// verify reads the stack's state and loads no plugin: a stack that
		// builds sample-app is still verifiable offline.
		{"reading commands skip the plugin check", map[string]string{}, nil, false, nil},
		{"reading commands still check every value", map[string]string{"webserver:replicas": "-1"}, nil, false, []string{"webserver:replicas", "-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := l.ValidateStackFile(tc.values, tc.secrets, tc.runsProgram)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}

	t.Run("an installed docker plugin is used", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(home, "plugins", "resource-docker-v4.10.0"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := l.ValidateStackFile(map[string]string{}, nil, true); err != nil {
			t.Fatal(err)
		}
	})
}
