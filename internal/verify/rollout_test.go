package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// rollingBack is service-c as the provider's awaiter leaves it after a
// rollback: a newer generation observed, the reused ReplicaSet's pod not
// yet available, the old pod still counted.
func rollingBack() *appsv1.Deployment {
	d := deployment(testNS, "service-c", 1, 1)
	d.Generation, d.Status.ObservedGeneration = 3, 3
	d.Status.Replicas, d.Status.UpdatedReplicas = 2, 1
	return d
}

// pastDeadline is service-c whose rollout the controller gave up on.
func pastDeadline() *appsv1.Deployment {
	d := rollingBack()
	d.Status.Conditions[1] = appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}
	return d
}

func TestRolledOut(t *testing.T) {
	tests := []struct {
		name string
		objs []runtime.Object
		// settle, when set, is the Deployment the controller reports
		// 50ms after RolledOut starts.
		settle   *appsv1.Deployment
		wantErr  string
		wantLate string
	}{
		{name: "all current at once", objs: healthyObjects(false)},
		{name: "a rollback finishing after up returned", objs: replace(healthyObjects(false), rollingBack()),
			settle: deployment(testNS, "service-c", 1, 1), wantLate: "playground/service-c InProgress"},
		{name: "a rollback that never finishes", objs: replace(healthyObjects(false), rollingBack()),
			wantErr: "still rolling out after 300ms: playground/service-c InProgress", wantLate: "playground/service-c"},
		{name: "past its progress deadline: failed at once", objs: replace(healthyObjects(false), pastDeadline()),
			wantErr: "rollout failed: playground/service-c Failed"},
		{name: "a hop without its Deployment", objs: remove(healthyObjects(false), func(o runtime.Object) bool {
			d, ok := o.(*appsv1.Deployment)
			return ok && d.Name == "service-b"
		}),
			wantErr: "no deployment playground/service-b"},
		{name: "a hop of two versions: its Deployments found by its app label", objs: append(remove(healthyObjects(false), func(o runtime.Object) bool {
			d, ok := o.(*appsv1.Deployment)
			return ok && d.Name == "service-c"
		}), versionOf("c", "v1"), versionOf("c", "v2"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeCluster(tt.objs)
			if tt.settle != nil {
				go func() {
					time.Sleep(50 * time.Millisecond)
					_, _ = c.Kube.AppsV1().Deployments(testNS).Update(context.Background(), tt.settle, metav1.UpdateOptions{})
				}()
			}
			r, err := RolledOut(context.Background(), c, testTarget, 300*time.Millisecond, 10*time.Millisecond)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("RolledOut: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("RolledOut: %v, want an error containing %q", err, tt.wantErr)
			}
			late := strings.Join(r.Late, "; ")
			if tt.wantLate == "" && (late != "" || r.Waited != 0) {
				t.Errorf("late %q after %s, want none and no wait", late, r.Waited)
			}
			if tt.wantLate != "" && !strings.Contains(late, tt.wantLate) {
				t.Errorf("late %q, want it to name %q", late, tt.wantLate)
			}
			if tt.settle != nil && r.Waited < 50*time.Millisecond {
				t.Errorf("returned after %s, before the rollout finished", r.Waited)
			}
		})
	}
}

// versionOf is one version's Deployment of hop, labeled as the hop.
func versionOf(hop, version string) *appsv1.Deployment {
	d := deployment(testNS, "service-"+hop+"-"+version, 1, 1)
	d.Labels = map[string]string{"app": "service-" + hop, "version": version}
	return d
}
