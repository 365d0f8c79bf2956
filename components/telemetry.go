package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/protobuf/types/known/wrapperspb"
	telemetryv1 "istio.io/api/telemetry/v1"
)

// TelemetryToken is the Pulumi type token of the Telemetry component.
const TelemetryToken = "playk8s:index:Telemetry"

// Ports of the Jaeger v2 all-in-one, as Istio's addon exposes them.
const (
	JaegerUIPort       = 16686
	JaegerOTLPGRPCPort = 4317
	JaegerOTLPHTTPPort = 4318
	JaegerZipkinPort   = 9411
	jaegerHealthPort   = 13133
	prometheusPort     = 9090
	grafanaPort        = 3000
)

// JaegerCollectorHost is the in-cluster name of the Jaeger collector Service
// in a namespace: what istiod's tracing provider and sample-app send spans to.
func JaegerCollectorHost(namespace string) string {
	return fmt.Sprintf("jaeger-collector.%s.svc.cluster.local", namespace)
}

// JaegerArgs configure the Jaeger all-in-one.
type JaegerArgs struct {
	Image     string
	Resources Resources
	// MaxTraces kept in memory.
	MaxTraces int
}

// PrometheusArgs configure Prometheus.
type PrometheusArgs struct {
	Image          string
	Resources      Resources
	ScrapeInterval string
	Retention      string
}

// GrafanaArgs configure the optional Grafana.
type GrafanaArgs struct {
	Image     string
	Resources Resources
	// AdminPassword is a Pulumi secret; nil generates one with pulumi-random.
	AdminPassword pulumi.StringInput
}

// TelemetryArgs are the arguments of a Telemetry.
type TelemetryArgs struct {
	// Namespace is the mesh's root namespace (istio-system): the Telemetry
	// resource there applies mesh-wide, and the tutorial's port-forward targets it.
	Namespace pulumi.StringInput
	// Tracing is the same setup the mesh was installed with.
	Tracing    Tracing
	Jaeger     JaegerArgs
	Prometheus PrometheusArgs
	// Grafana is deployed when non-nil.
	Grafana *GrafanaArgs
	// IstioDependsOn are what the Telemetry resource waits for (the CRDs' release).
	IstioDependsOn []pulumi.Resource
}

// Telemetry is tracing and metrics for the mesh: Jaeger, Prometheus, an
// optional Grafana, and the Istio Telemetry resource that sets sampling and
// the request-count metric's tags (today's form of the tutorial's Mixer rules).
type Telemetry struct {
	pulumi.ResourceState

	JaegerDeployment     *appsv1.Deployment
	TracingService       *Service
	ZipkinService        *Service
	CollectorService     *Service
	PrometheusDeployment *appsv1.Deployment
	PrometheusService    *Service
	GrafanaDeployment    *appsv1.Deployment
	MeshTelemetry        *apiextensions.CustomResource

	// JaegerPortForward is the port-forward target: "svc/tracing 16686:80" in Namespace.
	JaegerPortForward pulumi.StringOutput `pulumi:"jaegerPortForward"`
	// JaegerPortForwardCommand is the exact command, then open http://localhost:16686.
	JaegerPortForwardCommand pulumi.StringOutput `pulumi:"jaegerPortForwardCommand"`
	// PrometheusPortForwardCommand forwards Prometheus to http://localhost:9090.
	PrometheusPortForwardCommand pulumi.StringOutput `pulumi:"prometheusPortForwardCommand"`
	// GrafanaPortForwardCommand forwards Grafana to http://localhost:3000 ("" without Grafana).
	GrafanaPortForwardCommand pulumi.StringOutput `pulumi:"grafanaPortForwardCommand"`
	// GrafanaAdminPassword is Grafana's admin password, a secret ("" without Grafana).
	GrafanaAdminPassword pulumi.StringOutput `pulumi:"grafanaAdminPassword"`
	// CollectorOTLPHTTP is the OTLP/HTTP endpoint applications export spans to.
	CollectorOTLPHTTP pulumi.StringOutput `pulumi:"collectorOtlpHttp"`
}

// NewTelemetry registers Jaeger, Prometheus, optionally Grafana, and the
// mesh-wide Telemetry resource.
func NewTelemetry(ctx *pulumi.Context, name string, args *TelemetryArgs, opts ...pulumi.ResourceOption) (*Telemetry, error) {
	if args == nil {
		return nil, fmt.Errorf("telemetry %q: args are required", name)
	}
	if args.Tracing.SamplingPercent < 0 || args.Tracing.SamplingPercent > 100 {
		return nil, fmt.Errorf("telemetry %q: sampling percent must be 0-100, got %g", name, args.Tracing.SamplingPercent)
	}
	component := &Telemetry{}
	if err := ctx.RegisterComponentResource(TelemetryToken, name, component, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(component)
	ns := args.Namespace.ToStringOutput()

	if err := component.jaeger(ctx, args, parent); err != nil {
		return nil, err
	}
	if err := component.prometheus(ctx, args, parent); err != nil {
		return nil, err
	}
	component.GrafanaPortForwardCommand = pulumi.String("").ToStringOutput()
	component.GrafanaAdminPassword = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	if args.Grafana != nil {
		if err := component.grafana(ctx, args, parent); err != nil {
			return nil, err
		}
	}

	spec := &telemetryv1.Telemetry{
		Tracing: []*telemetryv1.Tracing{{
			Providers:                []*telemetryv1.ProviderRef{{Name: args.Tracing.Provider}},
			RandomSamplingPercentage: wrapperspb.Double(args.Tracing.SamplingPercent),
			DisableSpanReporting:     wrapperspb.Bool(!args.Tracing.Enabled),
		}},
		Metrics: []*telemetryv1.Metrics{{
			Providers: []*telemetryv1.ProviderRef{{Name: "prometheus"}},
			// The tutorial's Mixer rule counted requests by source, destination
			// and response code; istio_requests_total has those. Add the
			// request's host and method, as its dimensions did.
			Overrides: []*telemetryv1.MetricsOverrides{{
				Match: &telemetryv1.MetricSelector{
					MetricMatch: &telemetryv1.MetricSelector_Metric{Metric: telemetryv1.MetricSelector_REQUEST_COUNT},
					Mode:        telemetryv1.WorkloadMode_CLIENT_AND_SERVER,
				},
				TagOverrides: map[string]*telemetryv1.MetricsOverrides_TagOverride{
					"request_host":   {Value: "request.host"},
					"request_method": {Value: "request.method"},
				},
			}},
		}},
	}
	if args.Tracing.Enabled {
		spec.Tracing[0].DisableSpanReporting = nil
	}
	var err error
	component.MeshTelemetry, err = newIstioResource(ctx, "mesh-default", istioResource{
		apiVersion: "telemetry.istio.io/v1", kind: "Telemetry", name: "mesh-default", namespace: args.Namespace, spec: spec,
	}, parent, pulumi.DependsOn(args.IstioDependsOn))
	if err != nil {
		return nil, err
	}

	component.JaegerPortForward = pulumi.Sprintf("svc/%s %d:80", "tracing", JaegerUIPort)
	component.JaegerPortForwardCommand = pulumi.Sprintf("kubectl -n %s port-forward svc/tracing %d:80", component.TracingService.Service.Metadata.Namespace().Elem(), JaegerUIPort)
	component.PrometheusPortForwardCommand = pulumi.Sprintf("kubectl -n %s port-forward svc/prometheus %d:%d", component.PrometheusService.Service.Metadata.Namespace().Elem(), prometheusPort, prometheusPort)
	component.CollectorOTLPHTTP = ns.ApplyT(OTLPHTTPEndpoint).(pulumi.StringOutput)

	if err := ctx.RegisterResourceOutputs(component, pulumi.Map{
		"jaegerPortForward":            component.JaegerPortForward,
		"jaegerPortForwardCommand":     component.JaegerPortForwardCommand,
		"prometheusPortForwardCommand": component.PrometheusPortForwardCommand,
		"grafanaPortForwardCommand":    component.GrafanaPortForwardCommand,
		"grafanaAdminPassword":         component.GrafanaAdminPassword,
		"collectorOtlpHttp":            component.CollectorOTLPHTTP,
	}); err != nil {
		return nil, err
	}
	return component, nil
}

// unmeshedLabels keep a telemetry backend out of the mesh: Jaeger and
// Prometheus talk plain HTTP to sidecars' non-mTLS ports and collectors.
func unmeshedLabels(app string) map[string]string {
	return map[string]string{"app": app, "sidecar.istio.io/inject": "false"}
}

func (c *Telemetry) jaeger(ctx *pulumi.Context, args *TelemetryArgs, parent pulumi.ResourceOption) error {
	config, err := renderYAML(jaegerConfig(args.Jaeger))
	if err != nil {
		return err
	}
	cm, err := corev1.NewConfigMap(ctx, "jaeger", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("jaeger"), Namespace: args.Namespace, Labels: pulumi.StringMap{"app": pulumi.String("jaeger")}},
		Data:     pulumi.StringMap{"config.yaml": pulumi.String(config)},
	}, parent)
	if err != nil {
		return err
	}
	health := &HTTPProbe{Path: "/status", Port: jaegerHealthPort, PeriodSeconds: 5}
	c.JaegerDeployment, err = newTelemetryDeployment(ctx, telemetryWorkload{
		name: "jaeger", namespace: args.Namespace, image: args.Jaeger.Image, uid: 10001,
		args:      []string{"--config", "/etc/jaeger/config.yaml"},
		ports:     map[string]int{"http-query": JaegerUIPort, "grpc-otlp": JaegerOTLPGRPCPort, "http-otlp": JaegerOTLPHTTPPort, "http-zipkin": JaegerZipkinPort, "http-health": jaegerHealthPort},
		probe:     health,
		resources: args.Jaeger.Resources,
		configMap: cm, configMountPath: "/etc/jaeger",
		annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "8888"},
	}, parent)
	if err != nil {
		return err
	}
	selector := map[string]string{"app": "jaeger"}
	deps := pulumi.DependsOn([]pulumi.Resource{c.JaegerDeployment})
	services := []struct {
		name   string
		target **Service
		ports  []ServicePort
	}{
		// The tutorial port-forwarded the Jaeger pod's 16686; svc/tracing:80 is the stable name for it.
		{"tracing", &c.TracingService, []ServicePort{{Name: "http-query", Port: 80, TargetPort: JaegerUIPort}}},
		{"zipkin", &c.ZipkinService, []ServicePort{{Name: "http-zipkin", Port: JaegerZipkinPort}}},
		{"jaeger-collector", &c.CollectorService, []ServicePort{
			{Name: "grpc-otel", Port: JaegerOTLPGRPCPort},
			{Name: "http-otel", Port: JaegerOTLPHTTPPort},
			{Name: "http-zipkin", Port: JaegerZipkinPort},
		}},
	}
	for _, s := range services {
		svc, err := NewService(ctx, s.name, &ServiceArgs{
			Namespace: args.Namespace, Type: ServiceTypeClusterIP, Selector: selector, Ports: s.ports, Labels: selector,
			// Created after the Deployment is ready (deps): nothing left to wait for.
			SkipAwait: true,
		}, parent, deps)
		if err != nil {
			return err
		}
		*s.target = svc
	}
	return nil
}

// jaegerConfig is a Jaeger v2 all-in-one configuration: OTLP and Zipkin in,
// in-memory storage, the query UI at the root path. Istio's addon uses
// Badger on disk; memory keeps the root filesystem read-only and is enough
// for a playground (traces go with the pod).
func jaegerConfig(a JaegerArgs) map[string]interface{} {
	maxTraces := a.MaxTraces
	if maxTraces == 0 {
		maxTraces = 50000
	}
	return map[string]interface{}{
		"service": map[string]interface{}{
			"extensions": []string{"jaeger_storage", "jaeger_query", "healthcheckv2"},
			"pipelines": map[string]interface{}{
				"traces": map[string]interface{}{
					"receivers":  []string{"otlp", "zipkin"},
					"processors": []string{"batch"},
					"exporters":  []string{"jaeger_storage_exporter"},
				},
			},
			"telemetry": map[string]interface{}{
				"resource": map[string]interface{}{"service.name": "jaeger"},
				"metrics": map[string]interface{}{
					"level": "basic",
					"readers": []interface{}{map[string]interface{}{
						"pull": map[string]interface{}{"exporter": map[string]interface{}{
							"prometheus": map[string]interface{}{"host": "0.0.0.0", "port": 8888},
						}},
					}},
				},
			},
		},
		"extensions": map[string]interface{}{
			"healthcheckv2": map[string]interface{}{
				"use_v2": true,
				"http":   map[string]interface{}{"endpoint": fmt.Sprintf("0.0.0.0:%d", jaegerHealthPort)},
			},
			"jaeger_query": map[string]interface{}{
				"storage": map[string]interface{}{"traces": "memstore"},
				"http":    map[string]interface{}{"endpoint": fmt.Sprintf("0.0.0.0:%d", JaegerUIPort)},
			},
			"jaeger_storage": map[string]interface{}{
				"backends": map[string]interface{}{
					"memstore": map[string]interface{}{"memory": map[string]interface{}{"max_traces": maxTraces}},
				},
			},
		},
		"receivers": map[string]interface{}{
			"otlp": map[string]interface{}{"protocols": map[string]interface{}{
				"grpc": map[string]interface{}{"endpoint": fmt.Sprintf("0.0.0.0:%d", JaegerOTLPGRPCPort)},
				"http": map[string]interface{}{"endpoint": fmt.Sprintf("0.0.0.0:%d", JaegerOTLPHTTPPort)},
			}},
			"zipkin": map[string]interface{}{"endpoint": fmt.Sprintf("0.0.0.0:%d", JaegerZipkinPort)},
		},
		"processors": map[string]interface{}{"batch": map[string]interface{}{}},
		"exporters": map[string]interface{}{
			"jaeger_storage_exporter": map[string]interface{}{"trace_storage": "memstore"},
		},
	}
}

func (c *Telemetry) prometheus(ctx *pulumi.Context, args *TelemetryArgs, parent pulumi.ResourceOption) error {
	sa, err := corev1.NewServiceAccount(ctx, "prometheus", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: args.Namespace},
	}, parent)
	if err != nil {
		return err
	}
	// Read-only discovery of scrape targets: the least Prometheus needs.
	role, err := rbacv1.NewClusterRole(ctx, "prometheus", &rbacv1.ClusterRoleArgs{
		// Auto-named (a cluster-wide name must not collide with another install).
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations()},
		Rules: rbacv1.PolicyRuleArray{
			rbacv1.PolicyRuleArgs{
				ApiGroups: pulumi.StringArray{pulumi.String("")},
				Resources: pulumi.StringArray{pulumi.String("pods"), pulumi.String("services"), pulumi.String("endpoints")},
				Verbs:     pulumi.StringArray{pulumi.String("get"), pulumi.String("list"), pulumi.String("watch")},
			},
			rbacv1.PolicyRuleArgs{
				ApiGroups: pulumi.StringArray{pulumi.String("discovery.k8s.io")},
				Resources: pulumi.StringArray{pulumi.String("endpointslices")},
				Verbs:     pulumi.StringArray{pulumi.String("get"), pulumi.String("list"), pulumi.String("watch")},
			},
		},
	}, parent)
	if err != nil {
		return err
	}
	if _, err := rbacv1.NewClusterRoleBinding(ctx, "prometheus", &rbacv1.ClusterRoleBindingArgs{
		// Auto-named (a cluster-wide name must not collide with another install).
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations()},
		RoleRef: &rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("ClusterRole"),
			Name:     role.Metadata.Name().Elem(),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind:      pulumi.String("ServiceAccount"),
			Name:      sa.Metadata.Name().Elem(),
			Namespace: args.Namespace,
		}},
	}, parent); err != nil {
		return err
	}
	config, err := renderYAML(prometheusConfig(args.Prometheus))
	if err != nil {
		return err
	}
	cm, err := corev1.NewConfigMap(ctx, "prometheus", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("prometheus"), Namespace: args.Namespace, Labels: pulumi.StringMap{"app": pulumi.String("prometheus")}},
		Data:     pulumi.StringMap{"prometheus.yml": pulumi.String(config)},
	}, parent)
	if err != nil {
		return err
	}
	retention := args.Prometheus.Retention
	if retention == "" {
		retention = "6h"
	}
	c.PrometheusDeployment, err = newTelemetryDeployment(ctx, telemetryWorkload{
		name: "prometheus", namespace: args.Namespace, image: args.Prometheus.Image, uid: 65534,
		serviceAccount: sa,
		args: []string{
			"--config.file=/etc/prometheus/prometheus.yml",
			"--storage.tsdb.path=/prometheus",
			"--storage.tsdb.retention.time=" + retention,
		},
		ports:     map[string]int{"http": prometheusPort},
		probe:     &HTTPProbe{Path: "/-/ready", Port: prometheusPort, PeriodSeconds: 5},
		resources: args.Prometheus.Resources,
		configMap: cm, configMountPath: "/etc/prometheus",
		scratch: []string{"/prometheus"},
	}, parent)
	if err != nil {
		return err
	}
	c.PrometheusService, err = NewService(ctx, "prometheus", &ServiceArgs{
		Namespace: args.Namespace, Type: ServiceTypeClusterIP, SkipAwait: true,
		Selector: map[string]string{"app": "prometheus"}, Labels: map[string]string{"app": "prometheus"},
		Ports: []ServicePort{{Name: "http", Port: prometheusPort}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{c.PrometheusDeployment}))
	return err
}

// prometheusConfig scrapes istiod and every pod that asks to be scraped.
// Istio's metrics merging (on by default) rewrites an injected pod's
// prometheus.io annotations to the sidecar's port 15020, which serves Envoy's
// and the application's metrics together: one job covers sidecars and sample-app.
func prometheusConfig(a PrometheusArgs) map[string]interface{} {
	interval := a.ScrapeInterval
	if interval == "" {
		interval = "15s"
	}
	return map[string]interface{}{
		"global": map[string]interface{}{"scrape_interval": interval},
		"scrape_configs": []interface{}{
			map[string]interface{}{
				"job_name":              "istiod",
				"kubernetes_sd_configs": []interface{}{map[string]interface{}{"role": "endpoints"}},
				"relabel_configs": []interface{}{map[string]interface{}{
					"source_labels": []string{"__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"},
					"action":        "keep",
					"regex":         "istiod;http-monitoring",
				}},
			},
			map[string]interface{}{
				"job_name":              "kubernetes-pods",
				"kubernetes_sd_configs": []interface{}{map[string]interface{}{"role": "pod"}},
				"relabel_configs": []interface{}{
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_pod_annotation_prometheus_io_scrape"}, "action": "keep", "regex": "true"},
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_pod_annotation_prometheus_io_path"}, "action": "replace", "target_label": "__metrics_path__", "regex": "(.+)"},
					map[string]interface{}{
						"source_labels": []string{"__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"},
						"action":        "replace", "target_label": "__address__",
						"regex": `([^:]+)(?::\d+)?;(\d+)`, "replacement": "$1:$2",
					},
					map[string]interface{}{"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"},
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
					map[string]interface{}{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"},
				},
			},
		},
	}
}

func (c *Telemetry) grafana(ctx *pulumi.Context, args *TelemetryArgs, parent pulumi.ResourceOption) error {
	password := args.Grafana.AdminPassword
	if password == nil {
		generated, err := random.NewRandomPassword(ctx, "grafana-admin", &random.RandomPasswordArgs{
			Length:  pulumi.Int(24),
			Special: pulumi.Bool(false),
		}, parent)
		if err != nil {
			return err
		}
		password = generated.Result
	}
	secret, err := corev1.NewSecret(ctx, "grafana-admin", &corev1.SecretArgs{
		Metadata:   &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("grafana-admin"), Namespace: args.Namespace},
		StringData: pulumi.StringMap{"admin-password": password},
	}, parent)
	if err != nil {
		return err
	}
	datasources, err := renderYAML(map[string]interface{}{
		"apiVersion": 1,
		"datasources": []interface{}{
			map[string]interface{}{"name": "Prometheus", "type": "prometheus", "access": "proxy", "isDefault": true,
				"url": fmt.Sprintf("http://prometheus:%d", prometheusPort)},
			map[string]interface{}{"name": "Jaeger", "type": "jaeger", "access": "proxy", "url": "http://tracing:80"},
		},
	})
	if err != nil {
		return err
	}
	cm, err := corev1.NewConfigMap(ctx, "grafana-datasources", &corev1.ConfigMapArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String("grafana-datasources"), Namespace: args.Namespace},
		Data:     pulumi.StringMap{"datasources.yaml": pulumi.String(datasources)},
	}, parent)
	if err != nil {
		return err
	}
	c.GrafanaDeployment, err = newTelemetryDeployment(ctx, telemetryWorkload{
		name: "grafana", namespace: args.Namespace, image: args.Grafana.Image, uid: 472,
		ports:     map[string]int{"http": grafanaPort},
		probe:     &HTTPProbe{Path: "/api/health", Port: grafanaPort, PeriodSeconds: 10},
		resources: args.Grafana.Resources,
		configMap: cm, configMountPath: "/etc/grafana/provisioning/datasources",
		scratch: []string{"/var/lib/grafana", "/tmp"},
		env: corev1.EnvVarArray{
			corev1.EnvVarArgs{Name: pulumi.String("GF_SECURITY_ADMIN_USER"), Value: pulumi.String("admin")},
			corev1.EnvVarArgs{Name: pulumi.String("GF_SECURITY_ADMIN_PASSWORD"), ValueFrom: &corev1.EnvVarSourceArgs{
				SecretKeyRef: &corev1.SecretKeySelectorArgs{Name: secret.Metadata.Name(), Key: pulumi.String("admin-password")},
			}},
		},
	}, parent)
	if err != nil {
		return err
	}
	svc, err := NewService(ctx, "grafana", &ServiceArgs{
		Namespace: args.Namespace, Type: ServiceTypeClusterIP, SkipAwait: true,
		Selector: map[string]string{"app": "grafana"}, Labels: map[string]string{"app": "grafana"},
		Ports: []ServicePort{{Name: "http", Port: grafanaPort}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{c.GrafanaDeployment}))
	if err != nil {
		return err
	}
	c.GrafanaPortForwardCommand = pulumi.Sprintf("kubectl -n %s port-forward svc/grafana %d:%d", svc.Service.Metadata.Namespace().Elem(), grafanaPort, grafanaPort)
	c.GrafanaAdminPassword = pulumi.ToSecret(password.ToStringOutput()).(pulumi.StringOutput)
	return nil
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
	probe           *HTTPProbe
	resources       Resources
	configMap       *corev1.ConfigMap
	configMountPath string
	// scratch are writable emptyDir mounts; the root filesystem stays read-only.
	scratch     []string
	annotations map[string]string
}

func newTelemetryDeployment(ctx *pulumi.Context, w telemetryWorkload, parent pulumi.ResourceOption) (*appsv1.Deployment, error) {
	labels := unmeshedLabels(w.name)
	var ports corev1.ContainerPortArray
	for _, portName := range sortedKeys(intKeys(w.ports)) {
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
	// A ServiceAccount per workload. Only Prometheus (whose account is
	// given, with its read-only ClusterRole) calls the API and mounts a token.
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
						LivenessProbe:   w.probe.args(),
						ReadinessProbe:  w.probe.args(),
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

func intKeys(m map[string]int) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = k
	}
	return out
}

// OTLPHTTPEndpoint is the Jaeger collector's OTLP/HTTP base URL in a namespace,
// what sample-app's OTEL_EXPORTER_OTLP_ENDPOINT points at.
func OTLPHTTPEndpoint(namespace string) string {
	return fmt.Sprintf("http://%s:%d", JaegerCollectorHost(namespace), JaegerOTLPHTTPPort)
}
