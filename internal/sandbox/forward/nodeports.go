package forward

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// NodePorts mirrors the cluster's NodePorts on the host: for every TCP
// node port of every Service it listens on 127.0.0.1:<nodePort> and
// forwards to NodeIP:<nodePort> inside the sandbox, where kube-proxy
// takes it to a pod. Ports come and go with the Services.
type NodePorts struct {
	Client kubernetes.Interface
	NodeIP string
	Dial   DialFunc
	Log    *slog.Logger

	// Listen opens the host side; ListenLoopback unless a test sets it.
	Listen func(port uint16) (net.Listener, error)

	mu      sync.Mutex
	proxies map[uint16]context.CancelFunc
	// refused remembers ports already reported as taken, so a Service
	// resync does not log the same problem every time.
	refused map[uint16]bool
}

// Run watches Services until ctx is done.
func (n *NodePorts) Run(ctx context.Context) error {
	if n.Listen == nil {
		n.Listen = ListenLoopback
	}
	n.proxies = map[uint16]context.CancelFunc{}
	n.refused = map[uint16]bool{}
	factory := informers.NewSharedInformerFactory(n.Client, 10*time.Minute)
	services := factory.Core().V1().Services().Informer()
	sync := func(any) { n.sync(ctx, services.GetStore()) }
	if _, err := services.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sync,
		UpdateFunc: func(_, obj any) { sync(obj) },
		DeleteFunc: sync,
	}); err != nil {
		return err
	}
	// The API server may start after the forwarder: the informer retries
	// on its own until it answers.
	factory.Start(ctx.Done())
	<-ctx.Done()
	factory.Shutdown()
	n.mu.Lock()
	for _, cancel := range n.proxies {
		cancel()
	}
	n.mu.Unlock()
	return nil
}

// WantedPorts is every TCP node port of the Services in the store.
func WantedPorts(services []*corev1.Service) []uint16 {
	var ports []uint16
	for _, svc := range services {
		if svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.NodePort > 0 && p.NodePort <= 65535 && (p.Protocol == "" || p.Protocol == corev1.ProtocolTCP) {
				ports = append(ports, uint16(p.NodePort))
			}
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

func (n *NodePorts) sync(ctx context.Context, store cache.Store) {
	var services []*corev1.Service
	for _, obj := range store.List() {
		if svc, ok := obj.(*corev1.Service); ok {
			services = append(services, svc)
		}
	}
	wanted := WantedPorts(services)
	n.mu.Lock()
	defer n.mu.Unlock()
	for port, cancel := range n.proxies {
		if !slices.Contains(wanted, port) {
			cancel()
			delete(n.proxies, port)
			n.Log.Info("nodeport: closed", "port", port)
		}
	}
	for port := range n.refused {
		if !slices.Contains(wanted, port) {
			delete(n.refused, port)
		}
	}
	for _, port := range wanted {
		if _, ok := n.proxies[port]; ok || n.refused[port] {
			continue
		}
		l, err := n.Listen(port)
		if err != nil {
			n.refused[port] = true
			n.Log.Warn("nodeport: cannot mirror on the host; reach it from inside the sandbox instead", "port", port, "error", err)
			continue
		}
		pctx, cancel := context.WithCancel(ctx)
		n.proxies[port] = cancel
		target := net.JoinHostPort(n.NodeIP, strconv.Itoa(int(port)))
		p := &Proxy{Listener: l, Target: target, Dial: n.Dial, Log: n.Log}
		go func() {
			if err := p.Serve(pctx); err != nil {
				n.Log.Warn("nodeport: stopped", "port", port, "error", err)
			}
		}()
		n.Log.Info("nodeport: mirrored", "listen", l.Addr().String(), "target", target)
	}
}

// Ports is the node ports mirrored now, sorted (for tests and status).
func (n *NodePorts) Ports() []uint16 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ports []uint16
	for p := range n.proxies {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	return ports
}
