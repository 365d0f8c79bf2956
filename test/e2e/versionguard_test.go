package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	playk8s "github.com/play-kubernetes/play-kubernetes"
	"github.com/play-kubernetes/play-kubernetes/internal/kubeversion"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/tools/clientcmd"
)

// checkVersionGuard: the supported-versions guard reads the sandbox's real
// version, which the pinned Istio's range holds (every up of this test
// passed it), and refuses it against a range that leaves it out.
func checkVersionGuard(t *testing.T, d *deployment) {
	cfg, err := clientcmd.BuildConfigFromFlags("", d.kubectl.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	server, err := kubeversion.Server(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := playk8s.Version("K8S_VERSION"); server != want {
		t.Errorf("the sandbox reports Kubernetes %s, want the pinned %s", server, want)
	}
	istio := playk8s.Version("ISTIO_VERSION")
	if err := kubeversion.Pinned().Check(server, istio); err != nil {
		t.Errorf("the pinned range refuses the sandbox: %v", err)
	}
	v := version.MustParseGeneric(server)
	newer := kubeversion.Range{Min: version.MajorMinor(v.Major(), v.Minor()+1), Max: version.MajorMinor(v.Major(), v.Minor()+3)}
	err = newer.Check(server, istio)
	var unsupported *kubeversion.Unsupported
	if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), server) || !strings.Contains(err.Error(), newer.String()) {
		t.Errorf("a range of %s refused the sandbox's %s with %v, want an Unsupported naming both", newer, server, err)
	}
}
