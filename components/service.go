package components

import (
	"fmt"

	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ServiceToken is the Pulumi type token of the Service component.
const ServiceToken = "playk8s:index:Service"

// ServiceType is how a Service is reached, as Kubernetes' spec.type.
type ServiceType string

// The Service types Kubernetes knows.
const (
	ServiceTypeClusterIP    ServiceType = "ClusterIP"
	ServiceTypeNodePort     ServiceType = "NodePort"
	ServiceTypeLoadBalancer ServiceType = "LoadBalancer"
	ServiceTypeExternalName ServiceType = "ExternalName"
)

// ServiceTypes lists every accepted ServiceType, for error messages and validation.
func ServiceTypes() []ServiceType {
	return []ServiceType{ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer, ServiceTypeExternalName}
}

// Valid reports whether t is one of ServiceTypes.
func (t ServiceType) Valid() bool {
	for _, known := range ServiceTypes() {
		if t == known {
			return true
		}
	}
	return false
}

// HasNodePorts reports whether the type opens a port on every node: only then
// do a fixed nodePort and externalTrafficPolicy mean anything.
func (t ServiceType) HasNodePorts() bool {
	return t == ServiceTypeNodePort || t == ServiceTypeLoadBalancer
}

// ExternalTrafficPolicy is spec.externalTrafficPolicy: Cluster (the default)
// may forward to another node and masquerade the client IP; Local keeps the
// client IP and drops traffic on nodes without an endpoint (the tutorial's
// client-IP caveat).
type ExternalTrafficPolicy string

// The external traffic policies Kubernetes knows; the empty value leaves the field unset.
const (
	ExternalTrafficPolicyCluster ExternalTrafficPolicy = "Cluster"
	ExternalTrafficPolicyLocal   ExternalTrafficPolicy = "Local"
)

// NodePortMin and NodePortMax bound a fixed nodePort (the apiserver's default range).
const (
	NodePortMin = rule.NodePortMin
	NodePortMax = rule.NodePortMax
)

// FrontingServiceTypes are the types whose Service fronts pods: every type
// but ExternalName, which only aliases a DNS name.
func FrontingServiceTypes() []ServiceType {
	return []ServiceType{ServiceTypeClusterIP, ServiceTypeNodePort, ServiceTypeLoadBalancer}
}

// nodePortRule accepts 0 (Kubernetes chooses) or a node port of the range,
// and a fixed one only for a type that opens node ports (typeAt names the
// type's field in the message).
func nodePortRule(at *field.Path, nodePort int, t ServiceType, typeAt *field.Path) field.ErrorList {
	if errs := rule.NodePort(at, nodePort); len(errs) > 0 {
		return errs
	}
	if nodePort != 0 && t.Valid() && !t.HasNodePorts() {
		return rule.Refuse(at, nodePort, "0 unless "+typeAt.String()+" is NodePort or LoadBalancer (a "+string(t)+" Service opens no node port)")
	}
	return nil
}

// trafficPolicyRule accepts an external traffic policy only for a type
// that receives external traffic (typeAt names the type's field).
func trafficPolicyRule(at *field.Path, p ExternalTrafficPolicy, t ServiceType, typeAt *field.Path) field.ErrorList {
	if errs := rule.EmptyOrOneOf(at, p, ExternalTrafficPolicyCluster, ExternalTrafficPolicyLocal); len(errs) > 0 {
		return errs
	}
	if p != "" && t.Valid() && !t.HasNodePorts() {
		return rule.Refuse(at, string(p), "empty unless "+typeAt.String()+" is NodePort or LoadBalancer (it steers external traffic, which a "+string(t)+" Service does not receive)")
	}
	return nil
}

// ServicePort is one port of a Service.
type ServicePort struct {
	// Name of the port; Istio infers the protocol from an "http-" prefix.
	Name string
	// Port the Service listens on.
	Port int
	// TargetPort on the pods; 0 means Port.
	TargetPort int
	// NodePort to fix for NodePort and LoadBalancer types; 0 lets Kubernetes choose.
	NodePort int
}

// ServiceArgs are the arguments of a Service.
type ServiceArgs struct {
	// Namespace the Service lives in.
	Namespace pulumi.StringInput
	// Name is the Kubernetes name; empty means the component's name.
	Name string
	// Type of the Service; empty means ClusterIP.
	Type ServiceType
	// Selector picks the pods behind the Service (ignored for ExternalName).
	Selector map[string]string
	// Ports the Service exposes; the first one is the one the URL outputs use.
	Ports []ServicePort
	// ExternalName is the DNS name an ExternalName Service aliases.
	ExternalName string
	// ExternalTrafficPolicy, only for NodePort and LoadBalancer; empty leaves it unset.
	ExternalTrafficPolicy ExternalTrafficPolicy
	// Labels and Annotations on the Service object.
	Labels      map[string]string
	Annotations map[string]string
	// SkipAwait skips the provider's readiness wait: endpoints present,
	// then a fixed 10 s for them to settle after each endpoint change. It
	// buys nothing for a Service created after its pods are ready (it
	// depends on an awaited workload): set it there. Refused for
	// LoadBalancer, whose wait is what fills ExternalAddress.
	SkipAwait bool
}

// SkipAwaitAnnotation tells the kubernetes provider not to wait for an
// object to become ready after creating or updating it.
const SkipAwaitAnnotation = "pulumi.com/skipAwait"

// Service is one Kubernetes Service of any type, with the addresses a user
// needs as outputs.
type Service struct {
	pulumi.ResourceState

	// Service is the Kubernetes object.
	Service *corev1.Service

	// Name is the Service's Kubernetes name.
	Name pulumi.StringOutput `pulumi:"name"`
	// ClusterIP is the virtual IP inside the cluster ("" for ExternalName, "None" when headless).
	ClusterIP pulumi.StringOutput `pulumi:"clusterIP"`
	// NodePort of the first port, 0 when the type opens none.
	NodePort pulumi.IntOutput `pulumi:"nodePort"`
	// URL is the first port's in-cluster address, http://<name>.<ns>.svc.cluster.local:<port>.
	URL pulumi.StringOutput `pulumi:"url"`
	// ExternalAddress is the load balancer's IP or hostname, or the ExternalName; "" where none exists.
	ExternalAddress pulumi.StringOutput `pulumi:"externalAddress"`
}

func (a *ServiceArgs) awaitAnnotations() map[string]string {
	if !a.SkipAwait {
		return nil
	}
	return map[string]string{SkipAwaitAnnotation: "true"}
}

func (a *ServiceArgs) check(name string) error {
	t := a.Type
	errs := rule.OneOf(field.NewPath("type"), t, ServiceTypes()...)
	if len(a.Ports) == 0 {
		errs = append(errs, rule.Missing(field.NewPath("ports"), "at least one port")...)
	}
	for i, p := range a.Ports {
		errs = append(errs, nodePortRule(field.NewPath("ports").Index(i).Child("nodePort"), p.NodePort, t, field.NewPath("type"))...)
	}
	errs = append(errs, trafficPolicyRule(field.NewPath("externalTrafficPolicy"), a.ExternalTrafficPolicy, t, field.NewPath("type"))...)
	if t == ServiceTypeExternalName && a.ExternalName == "" {
		errs = append(errs, rule.Missing(field.NewPath("externalName"), "a DNS name for type ExternalName")...)
	}
	if t != ServiceTypeExternalName && t.Valid() && len(a.Selector) == 0 {
		errs = append(errs, rule.Missing(field.NewPath("selector"), "a selector for type "+string(t))...)
	}
	if a.SkipAwait && t == ServiceTypeLoadBalancer {
		errs = append(errs, rule.Refuse(field.NewPath("skipAwait"), true, "false for a LoadBalancer: it must be awaited, the wait is what fills its external address")...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("service %q: %w", name, errs.ToAggregate())
	}
	return nil
}

// NewService registers a Service component and its Kubernetes Service.
func NewService(ctx *pulumi.Context, name string, args *ServiceArgs, opts ...pulumi.ResourceOption) (*Service, error) {
	if args == nil {
		return nil, fmt.Errorf("service %q: args are required", name)
	}
	a := *args
	if a.Type == "" {
		a.Type = ServiceTypeClusterIP
	}
	if a.Name == "" {
		a.Name = name
	}
	if err := a.check(name); err != nil {
		return nil, err
	}

	component := &Service{}
	if err := ctx.RegisterComponentResource(ServiceToken, name, component, opts...); err != nil {
		return nil, err
	}

	svc, err := corev1.NewService(ctx, name, &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name:        pulumi.String(a.Name),
			Namespace:   a.Namespace,
			Labels:      stringMap(a.Labels),
			Annotations: ownedAnnotations(a.Annotations, a.awaitAnnotations()),
		},
		Spec: a.serviceSpec(),
	}, pulumi.Parent(component))
	if err != nil {
		return nil, err
	}

	component.Service = svc
	component.Name = svc.Metadata.Name().Elem()
	component.ClusterIP = svc.Spec.ClusterIP().Elem()
	component.NodePort = svc.Spec.Ports().Index(pulumi.Int(0)).NodePort().Elem()
	component.URL, component.ExternalAddress = serviceAddress(a, svc)

	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"name":            component.Name,
		"clusterIP":       component.ClusterIP,
		"nodePort":        component.NodePort,
		"url":             component.URL,
		"externalAddress": component.ExternalAddress,
	}); err != nil {
		return nil, err
	}
	return component, nil
}

// serviceSpec is the Kubernetes Service's spec: every port TCP, a target
// port of 0 meaning the port itself; a selector for every type but
// ExternalName, which aliases a DNS name instead.
func (a *ServiceArgs) serviceSpec() *corev1.ServiceSpecArgs {
	ports := corev1.ServicePortArray{}
	for _, p := range a.Ports {
		target := p.TargetPort
		if target == 0 {
			target = p.Port
		}
		ports = append(ports, corev1.ServicePortArgs{
			Name:       optionalString(p.Name),
			Port:       pulumi.Int(p.Port),
			TargetPort: pulumi.Int(target),
			NodePort:   optionalInt(p.NodePort),
			Protocol:   pulumi.String("TCP"),
		})
	}
	spec := &corev1.ServiceSpecArgs{
		Type:  pulumi.String(string(a.Type)),
		Ports: ports,
	}
	if a.Type == ServiceTypeExternalName {
		spec.ExternalName = pulumi.String(a.ExternalName)
	} else {
		spec.Selector = stringMap(a.Selector)
	}
	if a.ExternalTrafficPolicy != "" {
		spec.ExternalTrafficPolicy = pulumi.String(string(a.ExternalTrafficPolicy))
	}
	return spec
}

// serviceAddress is where the Service answers, as a URL at its first
// port and an external address: an ExternalName Service's DNS name for
// both, any other type's in-cluster name and load balancer's address.
func serviceAddress(a ServiceArgs, svc *corev1.Service) (url, external pulumi.StringOutput) {
	first := a.Ports[0]
	if a.Type == ServiceTypeExternalName {
		return pulumi.Sprintf("http://%s:%d", a.ExternalName, first.Port), pulumi.String(a.ExternalName).ToStringOutput()
	}
	return pulumi.Sprintf("http://%s:%d", InClusterHost(a.Name, svc.Metadata.Namespace().Elem()), first.Port),
		svc.Status.ApplyT(loadBalancerAddress).(pulumi.StringOutput)
}

// InClusterHost is the DNS name of a Service inside the cluster, the tutorial's
// service-a.default.svc.cluster.local.
func InClusterHost(name string, namespace pulumi.StringInput) pulumi.StringOutput {
	return pulumi.Sprintf("%s.%s.svc.cluster.local", name, namespace)
}

// loadBalancerAddress picks the first ingress IP or hostname a load balancer reported.
func loadBalancerAddress(status *corev1.ServiceStatus) string {
	if status == nil || status.LoadBalancer == nil {
		return ""
	}
	for _, ing := range status.LoadBalancer.Ingress {
		if ing.Ip != nil && *ing.Ip != "" {
			return *ing.Ip
		}
		if ing.Hostname != nil && *ing.Hostname != "" {
			return *ing.Hostname
		}
	}
	return ""
}
