package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// placement is which nodes are simulated (kwok), read once per run. A check
// that needs running containers asks where its pods are: on a simulated
// node nothing runs, so the check is skipped with the reason, never passed
// (the sandbox runs the ingress gateway on such a node, since it has no
// Envoy).
type placement struct {
	simulated map[string]bool
	nodes     int
}

func (c *Cluster) placement(ctx context.Context) (placement, error) {
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return placement{}, fmt.Errorf("listing nodes: %w", err)
	}
	p := placement{simulated: map[string]bool{}, nodes: len(nodes.Items)}
	for _, n := range nodes.Items {
		if _, ok := n.Annotations[SimulatedNodeAnnotation]; ok {
			p.simulated[n.Name] = true
		}
	}
	return p, nil
}

// allSimulated: every node is simulated (the kwok sandbox): no data-plane
// check can mean anything.
func (p placement) allSimulated() bool {
	return p.nodes > 0 && len(p.simulated) == p.nodes
}

// onlySimulated says, when every scheduled pod of the selector runs on a
// simulated node, which nodes those are ("" otherwise, and when there are
// no pods: then the check itself reports what is missing).
func (p placement) onlySimulated(ctx context.Context, c *Cluster, namespace, selector string) (string, error) {
	pods, err := c.Kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return "", err
	}
	nodes := map[string]bool{}
	for _, pod := range pods.Items {
		if pod.Spec.NodeName == "" {
			continue
		}
		if !p.simulated[pod.Spec.NodeName] {
			return "", nil
		}
		nodes[pod.Spec.NodeName] = true
	}
	if len(nodes) == 0 {
		return "", nil
	}
	var names []string
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", "), nil
}
