package recovery

import (
	"context"
	"strings"
	"testing"

	release "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/client-go/kubernetes/fake"
)

func TestRepairRelease(t *testing.T) {
	const ns, name = "istio-system", "istiod"
	cases := []struct {
		name    string
		history []release.Status // revision 1, 2, ...
		// want is the status of each revision after the repair; nil means the release is gone.
		want     []release.Status
		wantDone string
	}{
		{"killed during install", []release.Status{release.StatusPendingInstall}, nil, "removed the unfinished install (revision 1)"},
		{"killed during upgrade", []release.Status{release.StatusDeployed, release.StatusPendingUpgrade},
			[]release.Status{release.StatusDeployed, release.StatusFailed}, "marked revision 2 (pending-upgrade) failed"},
		{"killed during rollback", []release.Status{release.StatusSuperseded, release.StatusFailed, release.StatusPendingRollback},
			[]release.Status{release.StatusSuperseded, release.StatusFailed, release.StatusFailed}, "marked revision 3 (pending-rollback) failed"},
		{"reinstall after uninstall --keep-history, killed", []release.Status{release.StatusUninstalled, release.StatusPendingInstall},
			[]release.Status{release.StatusUninstalled}, "removed the unfinished install (revision 2)"},
		{"healthy release is left alone", []release.Status{release.StatusSuperseded, release.StatusDeployed},
			[]release.Status{release.StatusSuperseded, release.StatusDeployed}, ""},
		{"failed release is left alone", []release.Status{release.StatusFailed}, []release.Status{release.StatusFailed}, ""},
		{"no such release", nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kube := fake.NewClientset()
			store := storage.Init(driver.NewSecrets(kube.CoreV1().Secrets(ns)))
			for i, st := range tc.history {
				rel := &releasev1.Release{Name: name, Namespace: ns, Version: i + 1, Info: &releasev1.Info{Status: st}}
				if err := store.Create(rel); err != nil {
					t.Fatal(err)
				}
			}
			done, err := RepairRelease(context.Background(), kube, ns, name)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.wantDone == "") != (done == "") || !strings.Contains(done, tc.wantDone) {
				t.Errorf("repair says %q, want %q", done, tc.wantDone)
			}
			history, err := store.History(name)
			if len(tc.want) == 0 {
				if err == nil && len(history) > 0 {
					t.Errorf("release still has %d revisions", len(history))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(history) != len(tc.want) {
				t.Errorf("%d revisions left, want %d", len(history), len(tc.want))
			}
			got := map[int]release.Status{}
			for _, r := range history {
				rel := r.(*releasev1.Release)
				got[rel.Version] = rel.Info.Status
			}
			for i, want := range tc.want {
				if got[i+1] != want {
					t.Errorf("revision %d is %s, want %s", i+1, got[i+1], want)
				}
			}
			// Helm itself must now accept an operation on the release.
			last, err := store.Last(name)
			if err != nil {
				t.Fatal(err)
			}
			if st := last.(*releasev1.Release).Info.Status; st.IsPending() {
				t.Errorf("last revision still pending: %v", st)
			}
		})
	}
}
