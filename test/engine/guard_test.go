package engine_test

import (
	"context"
	"strings"
	"testing"
)

// TestRenderedWorkloadsAreRestricted is the fast guard over what the stack
// really sends to a cluster: every pod the stack owns meets the "restricted"
// Pod Security Standard, every container has requests and limits, and no
// binding grants cluster-admin. (The Helm releases are not rendered; Istio's
// charts own their pods.)
func TestRenderedWorkloadsAreRestricted(t *testing.T) {
	eng := newEngine(t)
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := eng.Render(context.Background(), stack, dir, overrides(t, stack)); err != nil {
				t.Fatal(err)
			}
			pods := 0
			for key, obj := range manifests(t, dir) {
				kind := strings.SplitN(key, "/", 2)[0]
				switch kind {
				case "ClusterRoleBinding", "RoleBinding":
					if get(obj, "roleRef.name") == "cluster-admin" {
						t.Errorf("%s binds cluster-admin", key)
					}
				case "Deployment", "StatefulSet", "DaemonSet", "Job":
					pods++
					checkRestricted(t, key, get(obj, "spec.template.spec"))
				}
			}
			if pods < 6 {
				t.Errorf("only %d workloads rendered; the guard is not looking at the stack", pods)
			}
		})
	}
}

func checkRestricted(t *testing.T, key string, spec interface{}) {
	t.Helper()
	if get(spec, "securityContext.runAsNonRoot") != true {
		t.Errorf("%s: pod securityContext.runAsNonRoot is not true", key)
	}
	if get(spec, "securityContext.seccompProfile.type") != "RuntimeDefault" {
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", key)
	}
	containers, _ := get(spec, "containers").([]interface{})
	for i := range containers {
		c := containers[i]
		name := key + " container " + str(get(c, "name"))
		if get(c, "securityContext.allowPrivilegeEscalation") != false {
			t.Errorf("%s: allowPrivilegeEscalation is not false", name)
		}
		drop, _ := get(c, "securityContext.capabilities.drop").([]interface{})
		if len(drop) != 1 || drop[0] != "ALL" {
			t.Errorf("%s: capabilities.drop = %v, want [ALL]", name, drop)
		}
		if get(c, "securityContext.readOnlyRootFilesystem") != true {
			t.Errorf("%s: root filesystem is writable", name)
		}
		for _, r := range []string{"requests.cpu", "requests.memory", "limits.cpu", "limits.memory"} {
			if get(c, "resources."+r) == nil {
				t.Errorf("%s: no resources.%s", name, r)
			}
		}
	}
}
