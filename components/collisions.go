package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WebServerCollisions refuses web server names that other components'
// objects of the same kinds already have in the app namespace, and a node
// port the ingress gateway already asks for: the API server would refuse
// the second object at apply time, after half the stack was created. The
// chain's hops are service-<hop> (Deployment, ServiceAccount, Service,
// disruption budget, policies) and their versions service-<hop>-<version>
// (Deployments); the mesh's default policies are
// allow-nothing, default-deny and mesh-baseline. The paths are the web
// server spec's.
func WebServerCollisions(web WebServerSpec, mesh IstioMeshSpec, chain SampleChainSpec) field.ErrorList {
	hops := chain.WorkloadNames()
	policies := map[string]bool{}
	if mesh.Authorization {
		policies[AllowNothingPolicy] = true
	}
	if mesh.NetworkPolicies {
		policies[DefaultDenyPolicy], policies[MeshBaselinePolicy] = true, true
	}
	var errs field.ErrorList
	if hops[web.Name] || policies[web.Name] {
		errs = append(errs, rule.Refuse(field.NewPath("name"), web.Name, "other than a chain hop's service-<hop>, a version's service-<hop>-<version> and the mesh's allow-nothing, default-deny, mesh-baseline")...)
	}
	if web.Service.Enabled && hops[web.Service.Name] {
		errs = append(errs, rule.Refuse(field.NewPath("service", "name"), web.Service.Name, "other than a chain hop's service-<hop>")...)
	}
	return append(errs, nodePortCollision(web.Service, mesh.Ingress)...)
}

// nodePortCollision refuses a web server node port the ingress gateway's
// Service asks for too: a node port opens on every node for one Service
// of the cluster, so the API server refuses the second Service. These are
// the only node ports the stack fixes (the gateway's other ports get theirs
// from Kubernetes).
func nodePortCollision(svc WebServerServiceSpec, in IngressSpec) field.ErrorList {
	if !svc.Enabled || svc.NodePort == 0 || svc.NodePort != in.HTTPNodePort || !svc.Type.HasNodePorts() || !in.Type.HasNodePorts() {
		return nil
	}
	return rule.Refuse(field.NewPath("service", "nodePort"), svc.NodePort,
		fmt.Sprintf("0 or a node port other than istio:ingress.httpNodePort's %d (a node port belongs to one Service of the cluster)", in.HTTPNodePort))
}
