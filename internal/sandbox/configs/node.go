package configs

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SimulatedNode is a Node for kwok to simulate: it manages only nodes
// carrying its annotation. A tainted one takes only the pods that
// tolerate the taint (the ingress gateway, in real mode).
type SimulatedNode struct {
	Name              string
	Annotation, Value string
	TaintLabel        string
	Tainted           bool
}

// Object is the Node.
func (n SimulatedNode) Object() *corev1.Node {
	node := &corev1.Node{
		TypeMeta: typeMeta("v1", "Node"),
		ObjectMeta: metav1.ObjectMeta{
			Name:        n.Name,
			Annotations: map[string]string{n.Annotation: n.Value},
			Labels: map[string]string{
				"kubernetes.io/hostname": n.Name,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
				"type":                   "kwok",
			},
		},
	}
	if n.Tainted {
		node.Labels[n.TaintLabel] = "true"
		node.Spec.Taints = []corev1.Taint{{Key: n.TaintLabel, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	}
	return node
}
