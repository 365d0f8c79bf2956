package recovery

import (
	"context"
	"errors"
	"fmt"

	"helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/client-go/kubernetes"
)

// RepairRelease lets Helm operate on a release an interrupted run left
// pending, through Helm's own release storage (Secrets in the release's
// namespace). It returns what it did, or "" when the release was not pending.
//
//   - pending-install: the unfinished revision's record is removed. The
//     install never finished and the stack's state does not hold it, so the
//     next run installs it again; Helm adopts the objects the killed install
//     already created (they carry the release's ownership metadata).
//   - pending-upgrade or pending-rollback: the revision is marked failed.
//     The state still holds the previous revision, so the next run upgrades
//     again from the last deployed one, as after any failed upgrade.
func RepairRelease(ctx context.Context, kube kubernetes.Interface, namespace, name string) (string, error) {
	store := storage.Init(driver.NewSecrets(kube.CoreV1().Secrets(namespace)))
	found, err := store.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	// Helm 4 reads release records of its v1 kind (what Helm 3 wrote).
	last, ok := found.(*releasev1.Release)
	if !ok {
		return "", fmt.Errorf("release %s in %s: a record of kind %T, which this program does not repair", name, namespace, found)
	}
	if !last.Info.Status.IsPending() {
		return "", nil
	}
	if last.Info.Status == common.StatusPendingInstall {
		if _, err := store.Delete(name, last.Version); err != nil {
			return "", err
		}
		return fmt.Sprintf("removed the unfinished install (revision %d); the next run installs it again", last.Version), nil
	}
	was := last.Info.Status
	last.SetStatus(common.StatusFailed, fmt.Sprintf("interrupted while %s; marked failed so the next run can continue", was))
	if err := store.Update(last); err != nil {
		return "", err
	}
	return fmt.Sprintf("marked revision %d (%s) failed; the next run upgrades from the last deployed revision", last.Version, was), nil
}
