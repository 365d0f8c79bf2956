package components

import (
	"fmt"
	"maps"
	"slices"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// unmeshedLabels keep a telemetry backend out of the mesh: Jaeger and
// Prometheus talk plain HTTP to sidecars' non-mTLS ports and collectors.
func unmeshedLabels(app string) map[string]string {
	return map[string]string{"app": app, "sidecar.istio.io/inject": "false"}
}

// telemetryWorkload is one single-container telemetry backend.
type telemetryWorkload struct {
	name            string
	namespace       pulumi.StringInput
	image           string
	uid             int
	serviceAccount  *corev1.ServiceAccount
	args            []string
	env             corev1.EnvVarArray
	ports           map[string]int
	probe           HTTPProbe
	resources       Resources
	configMap       *corev1.ConfigMap
	configMountPath string
	// moreConfig are further ConfigMaps mounted read-only, after the others
	// (so a workload without them renders as it did).
	moreConfig []configMount
	// scratch are writable emptyDir mounts; the root filesystem stays read-only.
	scratch     []string
	annotations map[string]string
}

// configMount is a ConfigMap mounted at a path.
type configMount struct {
	volume    string
	configMap *corev1.ConfigMap
	path      string
}

func newTelemetryDeployment(ctx *pulumi.Context, w telemetryWorkload, parent pulumi.ResourceOption) (*appsv1.Deployment, error) {
	labels := unmeshedLabels(w.name)
	var ports corev1.ContainerPortArray
	for _, portName := range slices.Sorted(maps.Keys(w.ports)) {
		ports = append(ports, corev1.ContainerPortArgs{Name: pulumi.String(portName), ContainerPort: pulumi.Int(w.ports[portName])})
	}
	mounts := corev1.VolumeMountArray{corev1.VolumeMountArgs{Name: pulumi.String("config"), MountPath: pulumi.String(w.configMountPath)}}
	volumes := corev1.VolumeArray{corev1.VolumeArgs{
		Name:      pulumi.String("config"),
		ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: w.configMap.Metadata.Name()},
	}}
	for i, path := range w.scratch {
		vol := fmt.Sprintf("scratch-%d", i)
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(vol), MountPath: pulumi.String(path)})
		volumes = append(volumes, corev1.VolumeArgs{Name: pulumi.String(vol), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}})
	}
	for _, c := range w.moreConfig {
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(c.volume), MountPath: pulumi.String(c.path), ReadOnly: pulumi.Bool(true)})
		volumes = append(volumes, corev1.VolumeArgs{
			Name:      pulumi.String(c.volume),
			ConfigMap: &corev1.ConfigMapVolumeSourceArgs{Name: c.configMap.Metadata.Name()},
		})
	}
	// A ServiceAccount per workload. Only Prometheus and Kiali (whose
	// accounts are given, with read-only grants) call the API and mount a
	// token.
	sa := w.serviceAccount
	automount := pulumi.Bool(sa != nil)
	if sa == nil {
		var err error
		sa, err = corev1.NewServiceAccount(ctx, w.name, &corev1.ServiceAccountArgs{
			Metadata:                     &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(w.name), Namespace: w.namespace},
			AutomountServiceAccountToken: pulumi.Bool(false),
		}, parent)
		if err != nil {
			return nil, err
		}
	}
	saName := sa.Metadata.Name()
	return appsv1.NewDeployment(ctx, w.name, &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(w.name), Namespace: w.namespace, Labels: pulumi.StringMap{"app": pulumi.String(w.name)}},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(1),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String(w.name)}},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: stringMap(labels), Annotations: stringMap(w.annotations)},
				Spec: &corev1.PodSpecArgs{
					ServiceAccountName:           saName,
					AutomountServiceAccountToken: automount,
					SecurityContext:              restrictedPodSecurityContext(w.uid),
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:            pulumi.String(w.name),
						Image:           pulumi.String(w.image),
						Args:            pulumi.ToStringArray(w.args),
						Env:             w.env,
						Ports:           ports,
						LivenessProbe:   w.probe.args(0),
						ReadinessProbe:  w.probe.args(0),
						Resources:       w.resources.args(),
						SecurityContext: restrictedContainerSecurityContext(true),
						VolumeMounts:    mounts,
					}},
					Volumes: volumes,
				},
			},
		},
	}, parent)
}

// newTelemetryService registers svc/<name>, the http port of the
// telemetry Deployment labeled app=<name>, and returns it with the kubectl
// command that forwards it to the same local port.
func newTelemetryService(ctx *pulumi.Context, name string, ns pulumi.StringInput, port int, deployment *appsv1.Deployment, parent pulumi.ResourceOption) (*Service, pulumi.StringOutput, error) {
	svc, err := NewService(ctx, name, &ServiceArgs{
		Namespace: ns, Type: ServiceTypeClusterIP, SkipAwait: true,
		Selector: map[string]string{"app": name}, Labels: map[string]string{"app": name},
		Ports: []ServicePort{{Name: "http", Port: port}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{deployment}))
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	return svc, pulumi.Sprintf("kubectl -n %s port-forward svc/%s %d:%d", svc.Service.Metadata.Namespace().Elem(), name, port, port), nil
}
