package verify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// SimulatedNodeAnnotation marks a node kwok simulates (kwok's own
// convention; the sandbox's simulated nodes carry it).
const SimulatedNodeAnnotation = layout.SimulatedAnnotation

// Cluster is how checks reach the cluster: typed and dynamic API clients, a
// port-forward into a Service, and an HTTP client for what they reach.
type Cluster struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Forward opens a tunnel to a Service's port and returns the local base
	// URL (on 127.0.0.1) and a function closing the tunnel.
	Forward func(ctx context.Context, namespace, service string, port int32) (baseURL string, stop func(), err error)
	HTTP    *http.Client
}

// NewCluster connects to the cluster of a REST config. Port-forwards go
// through the API server (like kubectl port-forward) and listen on 127.0.0.1 only.
func NewCluster(cfg *rest.Config) (*Cluster, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Kube: kube, Dynamic: dyn, HTTP: &http.Client{Timeout: 10 * time.Second}}
	c.Forward = func(ctx context.Context, namespace, service string, port int32) (string, func(), error) {
		return forwardToService(ctx, cfg, kube, namespace, service, port)
	}
	return c, nil
}

// forwardToService forwards a local port on 127.0.0.1 to the container port
// behind a Service port, on one of its ready pods (what kubectl port-forward svc/... does).
func forwardToService(ctx context.Context, cfg *rest.Config, kube kubernetes.Interface, namespace, service string, port int32) (string, func(), error) {
	svc, err := kube.CoreV1().Services(namespace).Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		return "", nil, err
	}
	pod, err := readyPod(ctx, kube, namespace, svc.Spec.Selector)
	if err != nil {
		return "", nil, fmt.Errorf("service %s/%s: %w", namespace, service, err)
	}
	target, err := containerPort(svc, pod, port)
	if err != nil {
		return "", nil, err
	}
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return "", nil, err
	}
	u := kube.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod.Name).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(int(target))}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		return "", nil, fmt.Errorf("port-forward to %s/%s: %w", namespace, pod.Name, err)
	case <-ctx.Done():
		close(stop)
		return "", nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stop)
		return "", nil, fmt.Errorf("port-forward to %s/%s: no local port (%v)", namespace, pod.Name, err)
	}
	base := (&url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(int(ports[0].Local))}).String()
	return base, func() { close(stop) }, nil
}

func readyPod(ctx context.Context, kube kubernetes.Interface, namespace string, selector map[string]string) (*corev1.Pod, error) {
	pods, err := kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: metav1.FormatLabelSelector(&metav1.LabelSelector{MatchLabels: selector}),
	})
	if err != nil {
		return nil, err
	}
	for i := range pods.Items {
		// A terminating pod can still report Ready until its probe sees
		// the drain: a forward to it breaks when it exits (the tail of a
		// rollout, right after up).
		if p := &pods.Items[i]; p.DeletionTimestamp == nil && podReady(p) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no ready pod among %d", len(pods.Items))
}

// containerPort resolves a Service port to the pod's container port (by number or name).
func containerPort(svc *corev1.Service, pod *corev1.Pod, port int32) (int32, error) {
	for _, sp := range svc.Spec.Ports {
		if sp.Port != port {
			continue
		}
		switch {
		case sp.TargetPort.Type == intstr.String:
			for _, c := range pod.Spec.Containers {
				for _, cp := range c.Ports {
					if cp.Name == sp.TargetPort.StrVal {
						return cp.ContainerPort, nil
					}
				}
			}
			return 0, fmt.Errorf("service %s: pod %s has no port named %q", svc.Name, pod.Name, sp.TargetPort.StrVal)
		case sp.TargetPort.IntVal != 0:
			return sp.TargetPort.IntVal, nil
		default:
			return sp.Port, nil
		}
	}
	return 0, fmt.Errorf("service %s has no port %d", svc.Name, port)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
