package verify

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestReadyPodSkipsTerminating: right after a rollout the old pod is
// deleted but can still report Ready; a forward must not pick it.
func TestReadyPodSkipsTerminating(t *testing.T) {
	now := metav1.Now()
	pod := func(name string, deleting bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name, Labels: map[string]string{"app": "service-a"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
		if deleting {
			p.DeletionTimestamp, p.Finalizers = &now, []string{"test"}
		}
		return p
	}
	tests := []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"the live pod, not the leaving one", []*corev1.Pod{pod("a-old", true), pod("b-new", false)}, "b-new"},
		{"only a leaving pod", []*corev1.Pod{pod("a-old", true)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kube := fake.NewClientset()
			for _, p := range tt.pods {
				if _, err := kube.CoreV1().Pods(testNS).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := readyPod(context.Background(), kube, testNS, map[string]string{"app": "service-a"})
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("picked %s, want no pod", got.Name)
			case tt.want != "" && (err != nil || got.Name != tt.want):
				t.Errorf("picked %v (%v), want %s", got, err, tt.want)
			}
		})
	}
}
