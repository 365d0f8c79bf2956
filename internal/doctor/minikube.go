package doctor

import (
	"context"
	"fmt"
	"strings"
)

// usesMinikube reports whether a stack deploys to minikube (dev does).
func usesMinikube(values map[string]string) bool {
	return values["kubernetes:context"] == "minikube"
}

// checkMinikube reports whether minikube is installed and, when the stack
// builds sample-app (no chain:image), whether this environment's Docker is
// minikube's and answers: an image built into another Docker is one
// minikube's node cannot run.
func checkMinikube(ctx context.Context, r *Report, m Machine, values map[string]string) {
	if !m.LookPath("minikube") {
		r.add(Finding{Check: "minikube", Status: Problem, Detail: "not installed, and the stack's kube context is minikube",
			Fix: "install minikube (https://minikube.sigs.k8s.io/docs/start/), then make minikube"})
	} else {
		r.add(Finding{Check: "minikube", Status: OK, Detail: "installed"})
	}
	if values["chain:image"] != "" {
		return // nothing is built: no Docker needed
	}
	if m.Getenv("MINIKUBE_ACTIVE_DOCKERD") == "" {
		r.add(Finding{Check: "minikube's Docker", Status: Problem,
			Detail: "this environment's Docker is not minikube's (MINIKUBE_ACTIVE_DOCKERD is unset), so sample-app would be built where minikube's node cannot see it",
			Fix:    "eval $(minikube docker-env)"})
		return
	}
	network, address := dockerAddress(m.Getenv("DOCKER_HOST"))
	if err := m.Dial(ctx, network, address); err != nil {
		r.add(Finding{Check: "minikube's Docker", Status: Problem,
			Detail: fmt.Sprintf("%s %s does not answer: %v", network, address, err),
			Fix:    "make minikube, then eval $(minikube docker-env)"})
		return
	}
	r.add(Finding{Check: "minikube's Docker", Status: OK, Detail: fmt.Sprintf("answers at %s %s", network, address)})
}

// dockerAddress is where a DOCKER_HOST value points, in net.Dial's terms;
// unset is Docker's default socket.
func dockerAddress(host string) (network, address string) {
	switch {
	case host == "":
		return "unix", "/var/run/docker.sock"
	case strings.HasPrefix(host, "unix://"):
		return "unix", strings.TrimPrefix(host, "unix://")
	case strings.HasPrefix(host, "tcp://"):
		return "tcp", strings.TrimSuffix(strings.TrimPrefix(host, "tcp://"), "/")
	default:
		return "tcp", host
	}
}
