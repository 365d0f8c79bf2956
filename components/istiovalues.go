package components

import (
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
)

// values is one chart's values, as Helm takes them.
type values = map[string]interface{}

// runtimeDefault is the seccomp profile the "restricted" standard asks for.
var runtimeDefault = values{"type": "RuntimeDefault"}

// chartValues are the values of each chart the mesh installs, istiod's
// sending spans to collector.
func (a *IstioMeshArgs) chartValues(collector Collector, gatewaySelector map[string]string) (map[IstioChart]values, error) {
	istiod, err := a.istiodValues(collector)
	if err != nil {
		return nil, err
	}
	base := values{"global": a.globalValues(false)}
	gateway := a.gatewayValues(gatewaySelector)
	if len(a.Spec.Revisions) > 0 {
		// The cluster-wide validation webhook (istiod-default-validator)
		// calls the revision the app runs on; the gateway's pods are
		// injected by the tag (or revision) the app selects.
		base["defaultRevision"] = a.Spec.AppIstiodRevision()
		gateway["revision"] = a.Spec.AppRevision
		gateway["podAnnotations"] = stringValues(a.Spec.revisionPodAnnotations())
	}
	return map[IstioChart]values{
		IstioChartBase:    base,
		IstioChartCNI:     a.cniValues(),
		IstioChartIstiod:  istiod,
		IstioChartGateway: gateway,
	}, nil
}

// istiodRevisionValues are istiod's values installed as revision rev
// (unchanged for the revision-less istiod): Istio's `revision` names its
// Deployment, Service and webhooks istiod-<rev> and labels its pods
// istio.io/rev, and its replicas spread among themselves only.
func (a *IstioMeshArgs) istiodRevisionValues(v values, rev string) values {
	if rev == "" {
		return v
	}
	out := mergeMaps(v, values{"revision": rev})
	if a.Spec.TopologySpread {
		out["topologySpreadConstraints"] = topologySpreadValues(map[string]string{"app": "istiod", RevisionLabel: rev})
	}
	return out
}

// globalValues are the `global` values the charts share; images is set for
// the charts that run pods, which then take the spec's image source.
func (a *IstioMeshArgs) globalValues(images bool) values {
	s := a.Spec
	global := values{"istioNamespace": s.Namespace}
	if s.Platform != "" {
		global["platform"] = s.Platform
	}
	if images {
		global = mergeMaps(global, s.ImageSource.values())
	}
	return global
}

// values are the image source as global.hub and global.tag, each only when set.
func (i ImageSource) values() values {
	out := values{}
	if i.Hub != "" {
		out["hub"] = i.Hub
	}
	if i.Tag != "" {
		out["tag"] = i.Tag
	}
	return out
}

// cniValues are istio-cni's. The pinned cni chart reads the node's CNI
// directories as top-level cniBinDir and cniConfDir (older charts and
// istioctl said cni.cniBinDir; this chart ignores that form).
func (a *IstioMeshArgs) cniValues() values {
	c := a.Spec.CNI
	out := values{
		"global":    a.globalValues(true),
		"resources": c.Resources.chartValues(),
	}
	if c.BinDir != "" {
		out["cniBinDir"] = c.BinDir
	}
	if c.ConfDir != "" {
		out["cniConfDir"] = c.ConfDir
	}
	return out
}

func (a *IstioMeshArgs) istiodValues(collector Collector) (values, error) {
	s := a.Spec
	meshConfig, err := meshConfigValues(s, a.Tracing, collector)
	if err != nil {
		return nil, err
	}
	out := values{
		"global": mergeMaps(a.globalValues(true), values{
			// Injected sidecars: the runtime's default seccomp profile.
			"proxy": values{"seccompProfile": runtimeDefault},
		}),
		"autoscaleEnabled": false,
		"replicaCount":     s.IstiodReplicas,
		"traceSampling":    a.Tracing.SamplingPercent,
		"resources":        s.IstiodResources.chartValues(),
		"meshConfig":       meshConfig,
		"seccompProfile":   runtimeDefault,
		// With istio-cni the injector adds no privileged istio-init.
		"cni": values{"enabled": s.CNI.Enabled},
	}
	if s.TopologySpread {
		out["topologySpreadConstraints"] = topologySpreadValues(map[string]string{"app": "istiod"})
	}
	if s.Ingress.API == IngressAPIGateway {
		// The gateways istiod provisions: the runtime's default seccomp
		// profile, which "restricted" asks of their pods.
		out["gateways"] = values{"seccompProfile": runtimeDefault}
	}
	return out, nil
}

func (a *IstioMeshArgs) gatewayValues(selector map[string]string) values {
	in := a.Spec.Ingress
	out := values{
		// The Service is ours (IstioMesh's ingress), so its type, node
		// ports and outputs are typed and awaited like every other Service.
		"service":      values{"type": "None"},
		"autoscaling":  values{"enabled": false},
		"replicaCount": in.Replicas,
		"resources":    in.Resources.chartValues(),
		// The chart's default pod securityContext is only the sysctl that
		// lets a non-root proxy bind :80; setting one replaces it, so it is
		// repeated next to the seccomp profile "restricted" asks for.
		"securityContext": values{
			"seccompProfile": runtimeDefault,
			"sysctls":        []interface{}{values{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}},
		},
	}
	// The gateway's proxy image is injected by istiod (the chart's image:
	// auto), from istiod's hub and tag; the chart is given them as well.
	if images := a.Spec.ImageSource.values(); len(images) > 0 {
		out["global"] = images
	}
	if len(in.NodeSelector) > 0 {
		out["nodeSelector"] = stringValues(in.NodeSelector)
	}
	if len(in.Tolerations) > 0 {
		out["tolerations"] = tolerationValues(in.Tolerations)
	}
	if a.Spec.TopologySpread {
		out["topologySpreadConstraints"] = topologySpreadValues(selector)
	}
	return out
}

// tolerationValues are tolerations as a chart's `tolerations` value, the
// fields a toleration sets and no others.
func tolerationValues(tolerations []corev1.Toleration) []interface{} {
	var out []interface{}
	for _, t := range tolerations {
		v := values{}
		for k, s := range map[string]string{"key": t.Key, "operator": string(t.Operator), "value": t.Value, "effect": string(t.Effect)} {
			if s != "" {
				v[k] = s
			}
		}
		if t.TolerationSeconds != nil {
			v["tolerationSeconds"] = int(*t.TolerationSeconds)
		}
		out = append(out, v)
	}
	return out
}

// meshConfigValues builds istiod's meshConfig from Istio's own MeshConfig
// type: tracing as the spec asks, through the TracingProvider extension
// provider to collector.
func meshConfigValues(s IstioMeshSpec, tracing TracingSpec, collector Collector) (values, error) {
	mc := &meshv1alpha1.MeshConfig{
		TrustDomain:   TrustDomain,
		EnableTracing: tracing.Tracing,
		ExtensionProviders: []*meshv1alpha1.MeshConfig_ExtensionProvider{{
			Name: TracingProvider,
			Provider: &meshv1alpha1.MeshConfig_ExtensionProvider_Opentelemetry{
				Opentelemetry: &meshv1alpha1.MeshConfig_ExtensionProvider_OpenTelemetryTracingProvider{
					Service: collector.Host,
					Port:    uint32(collector.GRPCPort),
				},
			},
		}},
	}
	if tracing.Tracing {
		mc.DefaultProviders = &meshv1alpha1.MeshConfig_DefaultProviders{Tracing: []string{TracingProvider}}
	}
	if s.AccessLogs {
		mc.AccessLogFile = "/dev/stdout"
	}
	out, err := specMap(mc)
	if err != nil {
		return nil, err
	}
	// proto3 JSON omits false, and Istio's default for enableTracing is true:
	// say it explicitly so turning tracing off really turns it off.
	out["enableTracing"] = tracing.Tracing
	return out, nil
}

// topologySpreadValues spread a chart's replicas over zones, then nodes,
// as a preference: a single-zone or single-node cluster still schedules them.
func topologySpreadValues(selector map[string]string) []interface{} {
	var out []interface{}
	for _, key := range TopologyKeys() {
		out = append(out, values{
			"maxSkew":           1,
			"topologyKey":       key,
			"whenUnsatisfiable": "ScheduleAnyway",
			"labelSelector":     values{"matchLabels": stringValues(selector)},
		})
	}
	return out
}

// stringValues is a string map as chart values.
func stringValues(m map[string]string) values {
	out := values{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
