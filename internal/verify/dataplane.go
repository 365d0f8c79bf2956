package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/components"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The data-plane checks, by name.
const (
	CheckSidecars = "pods run with their sidecar (2/2)"
	CheckChain    = "chain answers through the ingress"
	CheckTrace    = "jaeger holds a trace through every hop"
	CheckMetrics  = "prometheus counts requests per hop"
)

// The Services the telemetry checks forward to, and their ports.
const (
	jaegerService     = "tracing"
	jaegerServicePort = 80
	prometheusService = "prometheus"
	prometheusPort    = 9090
)

// sidecarName is the container Istio injects (a native sidecar init container
// on recent Kubernetes, a regular container before).
const sidecarName = "istio-proxy"

func dataPlaneChecks(c *Cluster, t Target, opts Options) []check {
	return []check{
		{CheckSidecars, LevelDataPlane, func(ctx context.Context) (string, error) { return sidecarsRunning(ctx, c, t) }},
		{CheckChain, LevelDataPlane, func(ctx context.Context) (string, error) { return chainAnswers(ctx, c.HTTP, t, opts.Requests) }},
		{CheckTrace, LevelDataPlane, func(ctx context.Context) (string, error) {
			return throughForward(ctx, c, t.IstioNamespace, jaegerService, jaegerServicePort, func(base string) (string, error) {
				return poll(ctx, opts.Wait, opts.Poll, func(ctx context.Context) (string, error) {
					return traceThroughHops(ctx, c.HTTP, base, t.Hops)
				})
			})
		}},
		{CheckMetrics, LevelDataPlane, func(ctx context.Context) (string, error) {
			return throughForward(ctx, c, t.IstioNamespace, prometheusService, prometheusPort, func(base string) (string, error) {
				return poll(ctx, opts.Wait, opts.Poll, func(ctx context.Context) (string, error) {
					return requestsPerHop(ctx, base, t.Namespace, t.Hops)
				})
			})
		}},
	}
}

func throughForward(ctx context.Context, c *Cluster, ns, svc string, port int32, fn func(base string) (string, error)) (string, error) {
	base, stop, err := c.Forward(ctx, ns, svc, port)
	if err != nil {
		return "", fmt.Errorf("port-forward svc/%s in %s: %w", svc, ns, err)
	}
	defer stop()
	return fn(base)
}

// sidecarsRunning: every pod of every hop has the istio-proxy sidecar and
// all its containers ready, the tutorial's READY 2/2.
func sidecarsRunning(ctx context.Context, c *Cluster, t Target) (string, error) {
	var seen, problems []string
	for _, hop := range t.Hops {
		name := components.HopServiceName(hop)
		pods, err := c.Kube.CoreV1().Pods(t.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return "", err
		}
		if len(pods.Items) == 0 {
			problems = append(problems, name+": no pods")
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			ready, total := readyContainers(p)
			switch {
			case !hasSidecar(p):
				problems = append(problems, fmt.Sprintf("%s: no %s (is injection on?)", p.Name, sidecarName))
			case ready != total:
				problems = append(problems, fmt.Sprintf("%s: %d/%d ready", p.Name, ready, total))
			default:
				seen = append(seen, fmt.Sprintf("%s %d/%d", p.Name, ready, total))
			}
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return strings.Join(seen, ", "), nil
}

func hasSidecar(p *corev1.Pod) bool {
	for _, c := range p.Spec.Containers {
		if c.Name == sidecarName {
			return true
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.Name == sidecarName && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return true
		}
	}
	return false
}

// readyContainers counts ready containers as kubectl's READY column does,
// native sidecars included.
func readyContainers(p *corev1.Pod) (ready, total int) {
	sidecars := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
		}
	}
	total = len(p.Spec.Containers) + len(sidecars)
	for _, s := range p.Status.ContainerStatuses {
		if s.Ready {
			ready++
		}
	}
	for _, s := range p.Status.InitContainerStatuses {
		if sidecars[s.Name] && s.Ready {
			ready++
		}
	}
	return ready, total
}

// hopAnswer is the part of sample-app's answer that names the hop.
type hopAnswer struct {
	ServiceType string `json:"SERVICE_TYPE"`
}

// chainAnswers sends requests to the chain's entry through the ingress: each
// must be 200 with the last hop's answer (the tutorial's curl <ingress>/service
// returning C's JSON), which only happens when every hop forwarded it.
func chainAnswers(ctx context.Context, client *http.Client, t Target, requests int) (string, error) {
	want := components.HopServiceType(t.Hops[len(t.Hops)-1])
	for i := 0; i < requests; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.ServiceURL, nil)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("request %d of %d: %w", i+1, requests, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("request %d of %d: %w", i+1, requests, err)
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("GET %s: %s: %s", t.ServiceURL, resp.Status, strings.TrimSpace(string(body)))
		}
		var got hopAnswer
		if err := json.Unmarshal(body, &got); err != nil {
			return "", fmt.Errorf("GET %s: not sample-app's JSON: %w (%.200s)", t.ServiceURL, err, body)
		}
		if got.ServiceType != want {
			return "", fmt.Errorf("GET %s answered SERVICE_TYPE %q, want %q (the last hop)", t.ServiceURL, got.ServiceType, want)
		}
	}
	return fmt.Sprintf("%d x GET %s -> 200, SERVICE_TYPE %s", requests, t.ServiceURL, want), nil
}
