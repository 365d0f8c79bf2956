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
	CheckSidecars   = "pods run with their sidecar (2/2)"
	CheckChain      = "chain answers through the ingress"
	CheckChainEntry = "chain answers at its first hop"
	CheckTrace      = "jaeger holds a trace through every hop"
	CheckMetrics    = "prometheus counts requests per hop"
	CheckScrapes    = "prometheus scrapes istiod and every hop"
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

func dataPlaneChecks(c *Cluster, t Target, where placement, opts Options) []check {
	hops := skipIfSimulated(c, where, t.Namespace, hopSelector(t.Hops))
	first := skipIfSimulated(c, where, t.Namespace, hopSelector(t.Hops[:1]))
	gateway := skipIfSimulated(c, where, t.IstioNamespace, components.IngressGatewaySelector(t.IngressAPI))
	jaeger := skipIfSimulated(c, where, t.IstioNamespace, "app=jaeger")
	prometheus := skipIfSimulated(c, where, t.IstioNamespace, "app=prometheus")
	noSidecars := injectionOff(t)
	return []check{
		{name: CheckSidecars, level: LevelDataPlane, skip: firstReason(hopsNotInjected(t), hops),
			fn: func(ctx context.Context) (string, error) { return sidecarsRunning(ctx, c, t) }},
		{name: CheckMeshIdentity, level: LevelDataPlane, skip: firstReason(transportNotGRPC(t), hops),
			fn: func(ctx context.Context) (string, error) { return hopsServeMeshIdentity(ctx, c, t) }},
		{name: CheckChain, level: LevelDataPlane, skip: firstReason(gateway, hops),
			fn: func(ctx context.Context) (string, error) {
				return chainAnswers(ctx, c.HTTP, t.ServiceURL, t.Hops, opts.Requests)
			}},
		// Straight to the first hop's Service: the chain's own traffic for
		// the telemetry checks, whether or not an ingress serves it.
		{name: CheckChainEntry, level: LevelDataPlane, skip: first,
			fn: func(ctx context.Context) (string, error) {
				return throughForward(ctx, c, t.Namespace, components.HopServiceName(t.Hops[0]), t.EntryPort, func(base string) (string, error) {
					return chainAnswers(ctx, c.HTTP, base+"/service", t.Hops, opts.Requests)
				})
			}},
		{name: CheckTrace, level: LevelDataPlane, skip: firstReason(jaeger, hops),
			fn: func(ctx context.Context) (string, error) {
				return throughForward(ctx, c, t.IstioNamespace, jaegerService, jaegerServicePort, func(base string) (string, error) {
					return poll(ctx, opts.Wait, opts.Poll, func(ctx context.Context) (string, error) {
						return TraceThroughHops(ctx, c.HTTP, base, t.Hops)
					})
				})
			}},
		{name: CheckMetrics, level: LevelDataPlane, skip: firstReason(noSidecars, prometheus, hops),
			fn: func(ctx context.Context) (string, error) {
				return throughForward(ctx, c, t.IstioNamespace, prometheusService, prometheusPort, func(base string) (string, error) {
					return poll(ctx, opts.Wait, opts.Poll, func(ctx context.Context) (string, error) {
						return requestsPerHop(ctx, base, t.Namespace, t.Hops)
					})
				})
			}},
		{name: CheckScrapes, level: LevelDataPlane, skip: firstReason(prometheus, hops),
			fn: func(ctx context.Context) (string, error) {
				return throughForward(ctx, c, t.IstioNamespace, prometheusService, prometheusPort, func(base string) (string, error) {
					return poll(ctx, opts.Wait, opts.Poll, func(ctx context.Context) (string, error) {
						hops, err := HopsScraped(ctx, base, t.Namespace, t.Hops)
						if err != nil {
							return "", err
						}
						istiod, err := IstiodScraped(ctx, base, t.IstioNamespace)
						if err != nil {
							return "", err
						}
						return hops + "; " + istiod, nil
					})
				})
			}},
		{name: CheckTrafficSplit, level: LevelDataPlane, skip: firstReason(noVersions(t), prometheus, hops),
			fn: func(ctx context.Context) (string, error) {
				return throughForward(ctx, c, t.IstioNamespace, prometheusService, prometheusPort, func(base string) (string, error) {
					return poll(ctx, opts.Wait, opts.Poll, func(ctx context.Context) (string, error) {
						return TrafficSplit(ctx, base, t.Namespace, t.Versions)
					})
				})
			}},
	}
}

// noVersions skips the split check where no hop runs in versions.
func noVersions(t Target) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		if len(t.Versions) == 0 {
			return "no hop runs in versions (chain:traffic)", nil
		}
		return "", nil
	}
}

// hopsNotInjected skips the sidecar check where nothing injects the hops:
// neither Envoy (istio:sidecarInjection) nor pilot-agent (chain:transport grpc).
func hopsNotInjected(t Target) func(context.Context) (string, error) {
	if t.Transport == components.ChainTransportGRPC {
		return func(context.Context) (string, error) { return "", nil }
	}
	return injectionOff(t)
}

// hopSelector selects the pods of the given hops.
func hopSelector(hops []string) string {
	var names []string
	for _, h := range hops {
		names = append(names, components.HopServiceName(h))
	}
	return "app in (" + strings.Join(names, ",") + ")"
}

// skipIfSimulated skips a check whose pods all run on simulated nodes.
func skipIfSimulated(c *Cluster, where placement, namespace, selector string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		nodes, err := where.onlySimulated(ctx, c, namespace, selector)
		if err != nil || nodes == "" {
			return "", err
		}
		return fmt.Sprintf("the pods of %s in %s run only on simulated nodes (%s): nothing serves them", selector, namespace, nodes), nil
	}
}

// firstReason is the first of the skip reasons that applies.
func firstReason(skips ...func(context.Context) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		for _, s := range skips {
			if reason, err := s(ctx); err != nil || reason != "" {
				return reason, err
			}
		}
		return "", nil
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

// chainAnswers sends requests to the chain's /service URL (through the
// ingress, or at the first hop): each must be 200 with the last hop's
// answer (the tutorial's curl <ingress>/service returning C's JSON), which
// only happens when every hop forwarded it.
func chainAnswers(ctx context.Context, client *http.Client, serviceURL string, hops []string, requests int) (string, error) {
	want := components.HopServiceType(hops[len(hops)-1])
	for i := 0; i < requests; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, serviceURL, nil)
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
			return "", fmt.Errorf("GET %s: %s: %s", serviceURL, resp.Status, strings.TrimSpace(string(body)))
		}
		var got hopAnswer
		if err := json.Unmarshal(body, &got); err != nil {
			return "", fmt.Errorf("GET %s: not sample-app's JSON: %w (%.200s)", serviceURL, err, body)
		}
		if got.ServiceType != want {
			return "", fmt.Errorf("GET %s answered SERVICE_TYPE %q, want %q (the last hop)", serviceURL, got.ServiceType, want)
		}
	}
	return fmt.Sprintf("%d x GET %s -> 200, SERVICE_TYPE %s", requests, serviceURL, want), nil
}
