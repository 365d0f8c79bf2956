package components

import (
	"strconv"

	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SampleAppUID is the non-root user sample-app's image runs as (distroless "nonroot").
const SampleAppUID = 65532

// ChainHop is one hop's workload.
type ChainHop struct {
	Name           string
	ServiceAccount *corev1.ServiceAccount
	Deployment     *appsv1.Deployment
	Service        *Service
}

// newChainHop registers hop i: its ServiceAccount, Service, Deployment and
// disruption budget. Its app exports spans to spansTo, an OTLP/HTTP
// endpoint ("": none).
func newChainHop(ctx *pulumi.Context, s SampleChainSpec, i int, image hopImage, mesh MeshAttachment, spansTo string, parent pulumi.ResourceOption) (*ChainHop, error) {
	hop := s.Hops[i]
	name := HopServiceName(hop)
	selector := map[string]string{"app": name}
	h := &ChainHop{Name: hop}
	var err error
	// One ServiceAccount per hop: Istio's mTLS identity (and so any
	// AuthorizationPolicy) is the ServiceAccount.
	h.ServiceAccount, err = corev1.NewServiceAccount(ctx, name, &corev1.ServiceAccountArgs{
		Metadata:                     &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: mesh.AppNamespace},
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The Service comes first: the kubelet gives a pod the
	// SERVICE_<NAME>_SERVICE_HOST/PORT variables only of Services that exist
	// when the pod starts (the tutorial's env-var discovery, which each hop
	// reports on /).
	h.Service, err = NewService(ctx, name, &ServiceArgs{
		Namespace: mesh.AppNamespace,
		Type:      ServiceTypeClusterIP,
		Selector:  selector,
		// "http-" tells Istio the protocol, so the sidecars speak HTTP (and trace) on it.
		Ports:  []ServicePort{{Name: "http-web", Port: s.Port}},
		Labels: selector,
		// Not awaited: its endpoints are the Deployment's pods, which the
		// Deployment's own await waits for.
		SkipAwait: true,
	}, parent, pulumi.DependsOn(mesh.Injector))
	if err != nil {
		return nil, err
	}
	h.Deployment, err = appsv1.NewDeployment(ctx, name, hopDeployment(s, i, image, mesh, spansTo, h.ServiceAccount),
		parent, pulumi.DependsOn(append([]pulumi.Resource{h.Service.Service}, mesh.Injector...)))
	if err != nil {
		return nil, err
	}
	if _, err := newDisruptionBudget(ctx, name, mesh.AppNamespace, s.Replicas, selector, parent); err != nil {
		return nil, err
	}
	return h, nil
}

// hopDeployment is hop i's Deployment: sample-app as SERVICE_TYPE <HOP>,
// calling the next hop by DNS name, exporting spans to spansTo unless it is "".
func hopDeployment(s SampleChainSpec, i int, image hopImage, mesh MeshAttachment, spansTo string, sa *corev1.ServiceAccount) *appsv1.DeploymentArgs {
	hop := s.Hops[i]
	name := HopServiceName(hop)
	labels := map[string]string{"app": name, "version": "v1"}
	env := corev1.EnvVarArray{
		corev1.EnvVarArgs{Name: pulumi.String("SERVICE_TYPE"), Value: pulumi.String(HopServiceType(hop))},
		corev1.EnvVarArgs{Name: pulumi.String("PORT"), Value: pulumi.Sprintf("%d", s.Port)},
		corev1.EnvVarArgs{Name: pulumi.String("POD_NAMESPACE"), ValueFrom: &corev1.EnvVarSourceArgs{
			FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("metadata.namespace")},
		}},
		corev1.EnvVarArgs{Name: pulumi.String("OTEL_SERVICE_NAME"), Value: pulumi.String(name)},
	}
	if i+1 < len(s.Hops) {
		next := fmt.Sprintf("http://%s:%d", HopServiceName(s.Hops[i+1]), s.Port)
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("NEXT"), Value: pulumi.String(next)})
	}
	if spansTo != "" {
		// Without it, sample-app exports nothing (trace headers still propagate).
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("OTEL_EXPORTER_OTLP_ENDPOINT"), Value: pulumi.String(spansTo)})
	}
	probe := func(path string) corev1.ProbePtrInput {
		return HTTPProbe{Path: path, PeriodSeconds: 5}.args(s.Port)
	}
	return &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: mesh.AppNamespace, Labels: stringMap(labels)},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(s.Replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String(name)}},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels: stringMap(labels),
					Annotations: stringMap(mergeMaps(mesh.PodAnnotations, map[string]string{
						"prometheus.io/scrape": "true",
						"prometheus.io/port":   strconv.Itoa(s.Port),
						"prometheus.io/path":   "/metrics",
					})),
				},
				Spec: &corev1.PodSpecArgs{
					TerminationGracePeriodSeconds: s.Shutdown.gracePeriod(),
					TopologySpreadConstraints:     topologySpread(s.TopologySpread, map[string]string{"app": name}),
					ServiceAccountName:            sa.Metadata.Name(),
					AutomountServiceAccountToken:  pulumi.Bool(false),
					SecurityContext:               restrictedPodSecurityContext(SampleAppUID),
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:            pulumi.String("sample-app"),
						Image:           image.ref,
						ImagePullPolicy: pulumi.String(image.pullPolicy),
						Ports: corev1.ContainerPortArray{corev1.ContainerPortArgs{
							Name:          pulumi.String("http"),
							ContainerPort: pulumi.Int(s.Port),
						}},
						Env:             env,
						LivenessProbe:   probe("/healthz"),
						ReadinessProbe:  probe("/readyz"),
						Resources:       s.Resources.args(),
						SecurityContext: restrictedContainerSecurityContext(true),
						Lifecycle:       s.Shutdown.lifecycle(),
					}},
				},
			},
		},
	}
}

// hopPolicies let exactly the chain's own traffic reach hop i: from the
// ingress gateway for the first hop, from the previous hop for the others,
// by mTLS identity (AuthorizationPolicy) and by pod (NetworkPolicy), and let
// hop i call the next one.
func hopPolicies(ctx *pulumi.Context, s SampleChainSpec, i int, mesh MeshAttachment, parent pulumi.ResourceOption) error {
	name := HopServiceName(s.Hops[i])
	selector := map[string]string{"app": name}
	caller := peer{namespace: mesh.Gateway.Namespace, labels: mesh.Gateway.Selector}
	prev := ""
	if i > 0 {
		prev = HopServiceName(s.Hops[i-1])
		caller = peer{labels: map[string]string{"app": prev}}
	}
	if mesh.Policy.Authorization {
		_, err := newIstioResourceInNamespace(ctx, name+"-allow", istioResource{
			apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", name: name, namespace: mesh.AppNamespace,
		}, func(ns string) interface{} {
			principal := mesh.Gateway.Principal
			if prev != "" {
				// Each hop runs as its own ServiceAccount, named after it.
				principal = Principal(ns, prev)
			}
			return allowSpec(selector, []string{principal}, []int{s.Port})
		}, parent, pulumi.DependsOn(mesh.IstioAPI))
		if err != nil {
			return err
		}
	}
	if mesh.Policy.NetworkPolicies {
		var egress []flow
		if i+1 < len(s.Hops) {
			egress = []flow{{peers: []peer{{labels: map[string]string{"app": HopServiceName(s.Hops[i+1])}}}, ports: []int{s.Port}}}
		}
		if _, err := networkPolicy(ctx, name, name, mesh.AppNamespace, selector,
			[]flow{{peers: []peer{caller}, ports: []int{s.Port}}}, egress, []string{"Ingress", "Egress"}, parent); err != nil {
			return err
		}
	}
	return nil
}
