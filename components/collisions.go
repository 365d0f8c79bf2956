package components

import (
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// WebServerCollisions refuses web server names that other components'
// objects of the same kinds already have in the app namespace: the API
// server would refuse the second object at apply time, after half the
// stack was created. The chain's hops are service-<hop> (Deployment,
// ServiceAccount, Service, disruption budget, policies); the mesh's default
// policies are allow-nothing, default-deny and mesh-baseline. The paths are
// the web server spec's.
func WebServerCollisions(web WebServerSpec, mesh IstioMeshSpec, chain SampleChainSpec) field.ErrorList {
	hops := map[string]bool{}
	for _, hop := range chain.Hops {
		hops[HopServiceName(hop)] = true
	}
	policies := map[string]bool{}
	if mesh.Authorization {
		policies[AllowNothingPolicy] = true
	}
	if mesh.NetworkPolicies {
		policies[DefaultDenyPolicy], policies[MeshBaselinePolicy] = true, true
	}
	var errs field.ErrorList
	if hops[web.Name] || policies[web.Name] {
		errs = append(errs, rule.Refuse(field.NewPath("name"), web.Name, "other than a chain hop's service-<hop> and the mesh's allow-nothing, default-deny, mesh-baseline")...)
	}
	if web.Service.Enabled && hops[web.Service.Name] {
		errs = append(errs, rule.Refuse(field.NewPath("service", "name"), web.Service.Name, "other than a chain hop's service-<hop>")...)
	}
	return errs
}
