// Package lookup reads from a live cluster what the program checks before
// it changes anything: objects' ownership annotations, for
// ownership.Check (the metadata client fetches names and annotations
// only, whatever the kind, with no typed clientset in the program), and
// the server's Kubernetes version, for the supported-versions guard.
package lookup

import (
	"context"

	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
	"github.com/play-kubernetes/play-kubernetes/internal/ownership"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// Cluster is an ownership.Reader of one API server.
type Cluster struct {
	config *rest.Config
	client metadata.Interface
}

// New is a Reader of the cluster cfg points at.
func New(cfg *rest.Config) (*Cluster, error) {
	client, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Cluster{config: cfg, client: client}, nil
}

// Annotations reads o's annotations; a missing object is not an error.
func (c *Cluster) Annotations(ctx context.Context, o ownership.Object) (map[string]string, bool, error) {
	var (
		m   *metav1.PartialObjectMetadata
		err error
	)
	if o.Namespace == "" {
		m, err = c.client.Resource(o.Resource).Get(ctx, o.Name, metav1.GetOptions{})
	} else {
		m, err = c.client.Resource(o.Resource).Namespace(o.Namespace).Get(ctx, o.Name, metav1.GetOptions{})
	}
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return m.GetAnnotations(), true, nil
}

// ServerVersion reads the API server's version.
func (c *Cluster) ServerVersion(ctx context.Context) (string, error) {
	return kubeversion.Server(ctx, c.config)
}
