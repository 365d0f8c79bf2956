package components

import (
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// HTTPProbe is an HTTP GET probe on a container port. The tutorial's liveness
// probe is HTTPProbe{Path: "/", Port: 80, InitialDelaySeconds: 3, PeriodSeconds: 3}.
// Zero values leave a field to Kubernetes' default; a zero Port means the
// container's own port (the workload resolves it when it renders the probe).
type HTTPProbe struct {
	Path                string `json:"path"`
	Port                int    `json:"port"`
	InitialDelaySeconds int    `json:"initialDelaySeconds"`
	PeriodSeconds       int    `json:"periodSeconds"`
	TimeoutSeconds      int    `json:"timeoutSeconds"`
	FailureThreshold    int    `json:"failureThreshold"`
}

// Validate refuses what the API server would refuse in a probe.
func (p HTTPProbe) Validate(at *field.Path) field.ErrorList {
	errs := rule.HTTPPath(at.Child("path"), p.Path)
	errs = append(errs, rule.PortOrZero(at.Child("port"), p.Port)...)
	errs = append(errs, rule.Int32AtLeast(at.Child("initialDelaySeconds"), p.InitialDelaySeconds, 0)...)
	errs = append(errs, rule.Int32AtLeast(at.Child("periodSeconds"), p.PeriodSeconds, 0)...)
	errs = append(errs, rule.Int32AtLeast(at.Child("timeoutSeconds"), p.TimeoutSeconds, 0)...)
	return append(errs, rule.Int32AtLeast(at.Child("failureThreshold"), p.FailureThreshold, 0)...)
}

// args renders the probe, on containerPort unless it names its own port.
func (p HTTPProbe) args(containerPort int) corev1.ProbePtrInput {
	port := p.Port
	if port == 0 {
		port = containerPort
	}
	return &corev1.ProbeArgs{
		HttpGet: &corev1.HTTPGetActionArgs{
			Path: pulumi.String(p.Path),
			Port: pulumi.Int(port),
		},
		InitialDelaySeconds: optionalInt(p.InitialDelaySeconds),
		PeriodSeconds:       optionalInt(p.PeriodSeconds),
		TimeoutSeconds:      optionalInt(p.TimeoutSeconds),
		FailureThreshold:    optionalInt(p.FailureThreshold),
	}
}

// ResourceList is a container's CPU and memory as Kubernetes quantities ("100m", "64Mi").
type ResourceList struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// Resources are a container's requests and limits.
type Resources struct {
	Requests ResourceList `json:"requests"`
	Limits   ResourceList `json:"limits"`
}

// Validate refuses a malformed quantity and a request above its limit.
func (r Resources) Validate(at *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, l := range []struct {
		name string
		list ResourceList
	}{{"requests", r.Requests}, {"limits", r.Limits}} {
		errs = append(errs, rule.Quantity(at.Child(l.name, "cpu"), l.list.CPU)...)
		errs = append(errs, rule.Quantity(at.Child(l.name, "memory"), l.list.Memory)...)
	}
	errs = append(errs, rule.AtMost(at.Child("requests", "cpu"), r.Requests.CPU, r.Limits.CPU)...)
	return append(errs, rule.AtMost(at.Child("requests", "memory"), r.Requests.Memory, r.Limits.Memory)...)
}

// chartValues renders Resources as a chart's `resources` value.
func (r Resources) chartValues() map[string]interface{} {
	out := map[string]interface{}{}
	for key, list := range map[string]ResourceList{"requests": r.Requests, "limits": r.Limits} {
		m := map[string]interface{}{}
		if list.CPU != "" {
			m["cpu"] = list.CPU
		}
		if list.Memory != "" {
			m["memory"] = list.Memory
		}
		if len(m) > 0 {
			out[key] = m
		}
	}
	return out
}

func (r Resources) args() *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{
		Requests: r.Requests.stringMap(),
		Limits:   r.Limits.stringMap(),
	}
}

func (l ResourceList) stringMap() pulumi.StringMap {
	m := pulumi.StringMap{}
	if l.CPU != "" {
		m["cpu"] = pulumi.String(l.CPU)
	}
	if l.Memory != "" {
		m["memory"] = pulumi.String(l.Memory)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// restrictedPodSecurityContext is the pod-level part of the "restricted" Pod
// Security Standard: every workload the stack owns runs as a non-root user
// with the runtime's default seccomp profile.
func restrictedPodSecurityContext(runAsUser int) *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot: pulumi.Bool(true),
		RunAsUser:    optionalInt(runAsUser),
		RunAsGroup:   optionalInt(runAsUser),
		FsGroup:      optionalInt(runAsUser),
		SeccompProfile: &corev1.SeccompProfileArgs{
			Type: pulumi.String("RuntimeDefault"),
		},
	}
}

// restrictedContainerSecurityContext is the container-level part of the
// "restricted" Pod Security Standard.
func restrictedContainerSecurityContext(readOnlyRootFilesystem bool) *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(readOnlyRootFilesystem),
		Capabilities: &corev1.CapabilitiesArgs{
			Drop: pulumi.StringArray{pulumi.String("ALL")},
		},
	}
}

func optionalInt(v int) pulumi.IntPtrInput {
	if v == 0 {
		return nil
	}
	return pulumi.Int(v)
}

func optionalString(v string) pulumi.StringPtrInput {
	if v == "" {
		return nil
	}
	return pulumi.String(v)
}

func stringMap(m map[string]string) pulumi.StringMap {
	if len(m) == 0 {
		return nil
	}
	out := make(pulumi.StringMap, len(m))
	for k, v := range m {
		out[k] = pulumi.String(v)
	}
	return out
}

// mergeMaps returns a new map with every key of the given maps, later maps winning.
func mergeMaps[V any](maps ...map[string]V) map[string]V {
	out := map[string]V{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TopologyKeys are the node labels replicas spread over: zones first, then nodes.
func TopologyKeys() []string {
	return []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
}

// topologySpread spreads a workload's replicas over zones, then nodes, as a
// preference (ScheduleAnyway): a single-zone or single-node cluster still
// schedules every replica, a multi-zone one survives losing a zone.
func topologySpread(enabled bool, selector map[string]string) corev1.TopologySpreadConstraintArray {
	if !enabled {
		return nil
	}
	var out corev1.TopologySpreadConstraintArray
	for _, key := range TopologyKeys() {
		out = append(out, corev1.TopologySpreadConstraintArgs{
			MaxSkew:           pulumi.Int(1),
			TopologyKey:       pulumi.String(key),
			WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
			LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: stringMap(selector)},
		})
	}
	return out
}

// PatchForceAnnotation makes the kubernetes provider's server-side apply
// take back fields another field manager changed (kubectl scale, kubectl
// edit, kubectl label). The stack owns every field it sets, so `up
// --refresh` repairs such drift instead of failing on a field-manager
// conflict. Fields the stack does not set stay with whoever set them.
const PatchForceAnnotation = "pulumi.com/patchForce"

// ownedAnnotations are the annotations of every object the stack creates:
// the given ones plus PatchForceAnnotation.
func ownedAnnotations(extra ...map[string]string) pulumi.StringMap {
	return stringMap(mergeMaps(append(extra, map[string]string{PatchForceAnnotation: "true"})...))
}

// optionalSecret is a Pulumi secret of v, or nothing when v is empty.
func optionalSecret(v string) pulumi.StringInput {
	if v == "" {
		return nil
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
}
