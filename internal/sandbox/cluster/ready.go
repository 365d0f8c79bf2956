package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/netns"
)

// client is the admin's client, as users reach the API: through the
// forwarder on the host (real mode) or 127.0.0.1 (kwok).
func (sb *Sandbox) client() (*kubernetes.Clientset, error) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.clientset != nil {
		return sb.clientset, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", sb.State.Kubeconfig())
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	sb.clientset, sb.restConfig = cs, cfg
	return cs, nil
}

// apiReady is one /readyz request.
func (sb *Sandbox) apiReady(ctx context.Context) error {
	cs, err := sb.client()
	if err != nil {
		return err
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("the API server's /readyz: %w", err)
	}
	if string(body) != "ok" {
		return fmt.Errorf("the API server's /readyz: %s", body)
	}
	return nil
}

// nodeReady watches the node until its Ready condition is True.
func (sb *Sandbox) nodeReady(name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		cs, err := sb.client()
		if err != nil {
			return err
		}
		lw := cache.NewListWatchFromClient(cs.CoreV1().RESTClient(), "nodes", "", fields.OneTermEqualSelector("metadata.name", name))
		_, err = watchtools.UntilWithSync(ctx, lw, &corev1.Node{}, nil, func(ev watch.Event) (bool, error) {
			node, ok := ev.Object.(*corev1.Node)
			if !ok {
				return false, nil
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("node %s Ready: %w", name, err)
		}
		return nil
	}
}

// defaultServiceAccount: pods need their namespace's default
// ServiceAccount; the controller manager makes it.
func (sb *Sandbox) defaultServiceAccount(ctx context.Context) error {
	cs, err := sb.client()
	if err != nil {
		return err
	}
	_, err = cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	return err
}

// deploymentCurrent watches a Deployment until kstatus (the rules kubectl
// and Flux use, as make verify) calls it Current.
func (sb *Sandbox) deploymentCurrent(namespace, name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		cs, err := sb.client()
		if err != nil {
			return err
		}
		lw := cache.NewListWatchFromClient(cs.AppsV1().RESTClient(), "deployments", namespace, fields.OneTermEqualSelector("metadata.name", name))
		var last kstatus.Status
		_, err = watchtools.UntilWithSync(ctx, lw, &appsv1.Deployment{}, nil, func(ev watch.Event) (bool, error) {
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok {
				return false, nil
			}
			d.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
			if err != nil {
				return false, err
			}
			res, err := kstatus.Compute(&unstructured.Unstructured{Object: u})
			if err != nil {
				return false, err
			}
			last = res.Status
			return res.Status == kstatus.CurrentStatus, nil
		})
		if err != nil {
			return fmt.Errorf("deployment %s/%s (kstatus %s): %w", namespace, name, last, err)
		}
		return nil
	}
}

// etcdHealthy is etcd's /health, dialled where etcd listens.
func (sb *Sandbox) etcdHealthy(ctx context.Context) error {
	transport := &http.Transport{}
	if sb.Real() {
		transport.DialContext = netns.Dialer{Path: sb.Netns.Path()}.DialContext
	}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/health", sb.Settings.EtcdPort), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd's /health: %s", resp.Status)
	}
	return nil
}

// listening is whether a socket accepts connections: where no API can
// tell (containerd's socket, the forwarder's port).
func listening(network, address string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}
