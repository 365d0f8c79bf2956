package components_test

import (
	"reflect"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const deploymentType = "kubernetes:apps/v1:Deployment"

// runWebServer registers a WebServer of the spec in a test mesh, its
// attachment edited by mesh (nil: as IstioMesh's defaults hand it out).
func runWebServer(t *testing.T, spec components.WebServerSpec, mesh func(*components.MeshAttachment)) (*pulumimock.Mocks, *pulumimock.Captured[string], *pulumimock.Captured[int]) {
	t.Helper()
	var url *pulumimock.Captured[string]
	var nodePort *pulumimock.Captured[int]
	mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
		attachment, err := testAttachment(ctx)
		if err != nil {
			return err
		}
		if mesh != nil {
			mesh(&attachment)
		}
		web, err := components.NewWebServer(ctx, "webserver", &components.WebServerArgs{Spec: spec, Mesh: attachment})
		if err != nil {
			return err
		}
		url = pulumimock.Capture[string](web.URL)
		nodePort = pulumimock.Capture[int](web.NodePort)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return mocks, url, nodePort
}

// TestWebServerTutorialValues pins the tutorial's webserver.yaml and
// service-type.yaml: any drift from them fails here.
func TestWebServerTutorialValues(t *testing.T) {
	mocks, url, nodePort := runWebServer(t, webServerSpec(), nil)
	component := mocks.Find(t, components.WebServerToken, "webserver")
	d := mocks.Find(t, deploymentType, "webserver")
	if d.Parent != component.URN {
		t.Errorf("Deployment parent = %q, want %q", d.Parent, component.URN)
	}
	want := map[string]interface{}{
		"metadata.name":                         "webserver",
		"metadata.namespace":                    "playground",
		"metadata.labels":                       map[string]interface{}{"app": "webserver"},
		"spec.replicas":                         3.0,
		"spec.selector":                         map[string]interface{}{"matchLabels": map[string]interface{}{"app": "nginx"}},
		"spec.template.metadata.labels":         map[string]interface{}{"app": "nginx"},
		"spec.template.spec.containers.0.name":  "nginx",
		"spec.template.spec.containers.0.image": "docker.io/nginxinc/nginx-unprivileged:stable-alpine",
		"spec.template.spec.containers.0.ports.0.containerPort":             8080.0,
		"spec.template.spec.containers.0.livenessProbe.httpGet.path":        "/",
		"spec.template.spec.containers.0.livenessProbe.httpGet.port":        8080.0,
		"spec.template.spec.containers.0.livenessProbe.initialDelaySeconds": 3.0,
		"spec.template.spec.containers.0.livenessProbe.periodSeconds":       3.0,
		"spec.template.spec.containers.0.readinessProbe.httpGet.path":       "/",
		"spec.template.spec.containers.0.readinessProbe.httpGet.port":       8080.0,
		"spec.strategy.type":                                                       "RollingUpdate",
		"spec.strategy.rollingUpdate.maxUnavailable":                               0.0,
		"spec.revisionHistoryLimit":                                                10.0,
		"spec.template.metadata.annotations":                                       map[string]interface{}{components.ChangeCauseAnnotation: "image docker.io/nginxinc/nginx-unprivileged:stable-alpine"},
		"spec.template.spec.containers.0.resources.requests.cpu":                   "50m",
		"spec.template.spec.containers.0.resources.limits.memory":                  "64Mi",
		"spec.template.spec.automountServiceAccountToken":                          false,
		"spec.template.spec.securityContext.runAsNonRoot":                          true,
		"spec.template.spec.securityContext.seccompProfile.type":                   "RuntimeDefault",
		"spec.template.spec.containers.0.securityContext.allowPrivilegeEscalation": false,
		"spec.template.spec.containers.0.securityContext.capabilities.drop":        []interface{}{"ALL"},
		"spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem":   true,
		"spec.template.spec.securityContext.runAsUser":                             101.0,
	}
	for path, value := range want {
		if got := d.Get(path); !reflect.DeepEqual(got, value) {
			t.Errorf("Deployment %s = %#v, want %#v", path, got, value)
		}
	}

	pdb := mocks.Find(t, "kubernetes:policy/v1:PodDisruptionBudget", "webserver")
	if pdb.Parent != component.URN || pdb.Get("spec.maxUnavailable") != 1.0 || pdb.Get("spec.selector.matchLabels.app") != "nginx" {
		t.Errorf("PodDisruptionBudget = %v (parent %s)", pdb.Get("spec"), pdb.Parent)
	}
	// A rollout that never becomes ready fails up after timeoutSeconds.
	if d.CreateTimeout != "300s" || d.UpdateTimeout != "300s" {
		t.Errorf("rollout timeouts = %q/%q, want the default 300s", d.CreateTimeout, d.UpdateTimeout)
	}
	// Pods wait for the injector: created earlier, they would run without a sidecar.
	if !d.DependsOn(mocks.Find(t, "pulumi:pulumi:StackReference", "injector").URN) {
		t.Errorf("the Deployment does not wait for the injector: %v", d.DependOn)
	}

	svcComponent := mocks.Find(t, components.ServiceToken, "webserver-svc")
	if svcComponent.Parent != component.URN {
		t.Errorf("webserver-svc parent = %q, want the WebServer", svcComponent.Parent)
	}
	if !svcComponent.DependsOn(d.URN) {
		t.Errorf("webserver-svc does not depend on the Deployment: %v", svcComponent.DependOn)
	}
	svc := mocks.Find(t, "kubernetes:core/v1:Service", "webserver-svc")
	wantSvc := map[string]interface{}{
		"metadata.name":           "webserver-svc",
		"metadata.labels":         map[string]interface{}{"run": "webserver-svc"},
		"spec.type":               "NodePort",
		"spec.selector":           map[string]interface{}{"app": "nginx"},
		"spec.ports.0.port":       80.0,
		"spec.ports.0.targetPort": 8080.0,
		"spec.ports.0.protocol":   "TCP",
	}
	for path, value := range wantSvc {
		if got := svc.Get(path); !reflect.DeepEqual(got, value) {
			t.Errorf("Service %s = %#v, want %#v", path, got, value)
		}
	}
	if url.Value(t) != "http://webserver-svc.playground.svc.cluster.local:80" {
		t.Errorf("URL = %q", url.Value(t))
	}
	if nodePort.Value(t) < components.NodePortMin || nodePort.Value(t) > components.NodePortMax {
		t.Errorf("NodePort = %d, want one in the node port range", nodePort.Value(t))
	}
}

// TestWebServerChangeCause: the tutorial's `set image --record` becomes a
// change cause that follows the image, so rollout history shows each change.
func TestWebServerChangeCause(t *testing.T) {
	cases := []struct {
		name, image, cause, want string
	}{
		{"default cause names the image", "nginx:alpine", "", "image nginx:alpine"},
		{"tutorial image", "nginx:stable-alpine", "", "image nginx:stable-alpine"},
		{"default image", "docker.io/nginxinc/nginx-unprivileged:stable-alpine", "", "image docker.io/nginxinc/nginx-unprivileged:stable-alpine"},
		{"explicit cause", "nginx:alpine", "CVE-2026-0001 fix", "CVE-2026-0001 fix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := webServerSpec()
			spec.Image, spec.ChangeCause = tc.image, tc.cause
			mocks, _, _ := runWebServer(t, spec, nil)
			d := mocks.Find(t, deploymentType, "webserver")
			annotations, _ := d.Get("spec.template.metadata.annotations").(map[string]interface{})
			if got := annotations[components.ChangeCauseAnnotation]; got != tc.want {
				t.Errorf("change cause = %v, want %q", got, tc.want)
			}
			if got := d.Get("spec.template.spec.containers.0.image"); got != tc.image {
				t.Errorf("image = %v, want %q", got, tc.image)
			}
		})
	}
}

func TestWebServerOptions(t *testing.T) {
	t.Run("root image on port 80, root filesystem writable", func(t *testing.T) {
		spec := webServerSpec()
		spec.Image, spec.ContainerPort, spec.RunAsUser, spec.ReadOnlyRootFilesystem = "nginx:stable-alpine", 80, 0, false
		mocks, _, _ := runWebServer(t, spec, nil)
		d := mocks.Find(t, deploymentType, "webserver")
		if got := d.Get("spec.template.spec.containers.0.securityContext.readOnlyRootFilesystem"); got != false {
			t.Errorf("readOnlyRootFilesystem = %v", got)
		}
		if got := d.Get("spec.template.spec.volumes"); got != nil {
			t.Errorf("scratch volumes %v for a writable root", got)
		}
		if got := d.Get("spec.template.spec.securityContext.runAsUser"); got != nil {
			t.Errorf("runAsUser = %v, want the image's own user", got)
		}
		// The probes follow the container port unless they name their own.
		if got := d.Get("spec.template.spec.containers.0.livenessProbe.httpGet.port"); got != 80.0 {
			t.Errorf("liveness port = %v, want the container port 80", got)
		}
		svc := mocks.Find(t, "kubernetes:core/v1:Service", "webserver-svc")
		if svc.Get("spec.ports.0.port") != 80.0 || svc.Get("spec.ports.0.targetPort") != 80.0 {
			t.Errorf("Service %v -> %v, want 80 -> 80", svc.Get("spec.ports.0.port"), svc.Get("spec.ports.0.targetPort"))
		}
	})
	t.Run("the tutorial's broken probe port", func(t *testing.T) {
		spec := webServerSpec()
		spec.Liveness.Port = 88
		mocks, _, _ := runWebServer(t, spec, nil)
		d := mocks.Find(t, deploymentType, "webserver")
		if got := d.Get("spec.template.spec.containers.0.livenessProbe.httpGet.port"); got != 88.0 {
			t.Errorf("liveness port = %v, want 88", got)
		}
		if got := d.Get("spec.template.spec.containers.0.readinessProbe.httpGet.port"); got != 8080.0 {
			t.Errorf("readiness port = %v, want the container port", got)
		}
	})
	t.Run("rollout timeout", func(t *testing.T) {
		spec := webServerSpec()
		spec.TimeoutSeconds = 90
		mocks, _, _ := runWebServer(t, spec, nil)
		d := mocks.Find(t, deploymentType, "webserver")
		if d.CreateTimeout != "90s" || d.UpdateTimeout != "90s" {
			t.Errorf("timeouts = %q/%q, want 90s: a never-ready rollout must fail up, not hang", d.CreateTimeout, d.UpdateTimeout)
		}
	})
	t.Run("one replica, no disruption budget", func(t *testing.T) {
		spec := webServerSpec()
		spec.Replicas = 1
		mocks, _, _ := runWebServer(t, spec, nil)
		if n := len(mocks.OfType("kubernetes:policy/v1:PodDisruptionBudget")); n != 0 {
			t.Errorf("%d budgets for a single replica: it would block every node drain", n)
		}
	})
	t.Run("no service", func(t *testing.T) {
		spec := webServerSpec()
		spec.Service.Enabled = false
		mocks, url, _ := runWebServer(t, spec, nil)
		if n := len(mocks.OfType(components.ServiceToken)); n != 0 {
			t.Errorf("%d Services registered, want none", n)
		}
		if url.Value(t) != "" {
			t.Errorf("URL = %q, want empty", url.Value(t))
		}
	})
	t.Run("pod annotations beside the change cause", func(t *testing.T) {
		spec := webServerSpec()
		spec.PodAnnotations = map[string]string{"example.com/hint": "yes"}
		mocks, _, _ := runWebServer(t, spec, nil)
		annotations := mocks.Find(t, deploymentType, "webserver").Get("spec.template.metadata.annotations").(map[string]interface{})
		if annotations["example.com/hint"] != "yes" || annotations[components.ChangeCauseAnnotation] == nil {
			t.Errorf("pod annotations = %v", annotations)
		}
	})
}

// TestWebServerRefusesItsSpec: the component judges its spec with the
// spec's own Validate, before registering anything.
func TestWebServerRefusesItsSpec(t *testing.T) {
	for name, edit := range map[string]func(*components.WebServerSpec){
		"negative replicas":    func(s *components.WebServerSpec) { s.Replicas = -1 },
		"ExternalName Service": func(s *components.WebServerSpec) { s.Service.Type = components.ServiceTypeExternalName },
		"node port on ClusterIP": func(s *components.WebServerSpec) {
			s.Service.Type, s.Service.NodePort = components.ServiceTypeClusterIP, 30080
		},
	} {
		t.Run(name, func(t *testing.T) {
			spec := webServerSpec()
			edit(&spec)
			mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
				mesh, err := testAttachment(ctx)
				if err != nil {
					return err
				}
				_, err = components.NewWebServer(ctx, "webserver", &components.WebServerArgs{Spec: spec, Mesh: mesh})
				return err
			})
			if err == nil {
				t.Fatal("accepted")
			}
			if n := len(mocks.OfType(components.WebServerToken)); n != 0 {
				t.Errorf("a refused web server registered itself")
			}
		})
	}
}
