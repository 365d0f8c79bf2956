package components

import (
	"github.com/play-kubernetes/play-kubernetes/components/internal/rule"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Shutdown is how a serving pod leaves, so that a rollout or a scale-down
// drops no request. Deleting a pod and taking it out of the Service's
// endpoints happen side by side: the kubelet signals the container while
// every node's kube-proxy (and every sidecar) may still send it new
// connections for a moment. A pre-stop delay keeps the container serving
// until they have stopped; then the process is signalled and drains what it
// is serving, within the termination grace period (Kubernetes' docs: "Pod
// termination", the sleep lifecycle action).
type Shutdown struct {
	// PreStopDelaySeconds the container keeps serving after its pod is
	// deleted, before it is signalled to stop; 0 signals it at once.
	PreStopDelaySeconds int `json:"preStopDelaySeconds"`
	// TerminationGracePeriodSeconds is the pod's whole time to stop, the
	// pre-stop delay included, before the kubelet kills what is left.
	TerminationGracePeriodSeconds int `json:"terminationGracePeriodSeconds"`
}

// DefaultShutdown waits 5 s, longer than endpoint changes take to reach
// kube-proxy on a quiet cluster, within Kubernetes' default 30 s grace.
func DefaultShutdown() Shutdown {
	return Shutdown{PreStopDelaySeconds: 5, TerminationGracePeriodSeconds: 30}
}

// minimumDrainSeconds is what the grace period leaves the process after
// the delay, to finish its in-flight requests.
const minimumDrainSeconds = 1

// Validate refuses a delay that leaves the process no time to drain
// before the kubelet kills it, and values the API server refuses.
func (s Shutdown) Validate() field.ErrorList {
	errs := rule.Int32AtLeast(field.NewPath("terminationGracePeriodSeconds"), s.TerminationGracePeriodSeconds, minimumDrainSeconds)
	errs = append(errs, rule.AtLeast(field.NewPath("preStopDelaySeconds"), s.PreStopDelaySeconds, 0)...)
	if s.PreStopDelaySeconds > 0 && s.TerminationGracePeriodSeconds >= minimumDrainSeconds &&
		s.PreStopDelaySeconds > s.TerminationGracePeriodSeconds-minimumDrainSeconds {
		errs = append(errs, rule.Refuse(field.NewPath("preStopDelaySeconds"), s.PreStopDelaySeconds,
			"at most terminationGracePeriodSeconds - 1 (the process needs time to drain after the delay, before the kubelet kills it)")...)
	}
	return errs
}

// lifecycle is the container's pre-stop delay, Kubernetes' own sleep
// action (no shell or sleep binary in the image); nil without a delay.
func (s Shutdown) lifecycle() corev1.LifecyclePtrInput {
	if s.PreStopDelaySeconds == 0 {
		return nil
	}
	return &corev1.LifecycleArgs{
		PreStop: &corev1.LifecycleHandlerArgs{Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(s.PreStopDelaySeconds)}},
	}
}

// gracePeriod is the pod's termination grace period.
func (s Shutdown) gracePeriod() pulumi.IntPtrInput {
	return pulumi.Int(s.TerminationGracePeriodSeconds)
}
