package components_test

import (
	"strings"
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
	"github.com/play-kubernetes/play-kubernetes/internal/pulumimock"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestServiceTypes(t *testing.T) {
	cases := []struct {
		name            string
		args            components.ServiceArgs
		wantType        string
		wantNodePort    int
		wantURL         string
		wantExternal    string
		wantPolicy      interface{}
		wantErrContains string
	}{
		{
			name:     "cluster IP",
			args:     components.ServiceArgs{Selector: map[string]string{"app": "x"}, Ports: []components.ServicePort{{Name: "http", Port: 8000}}},
			wantType: "ClusterIP", wantURL: "http://svc.ns.svc.cluster.local:8000",
		},
		{
			name: "tutorial NodePort with a fixed node port",
			args: components.ServiceArgs{Type: components.ServiceTypeNodePort, Selector: map[string]string{"app": "nginx"},
				Ports: []components.ServicePort{{Port: 80, NodePort: 31380}}},
			wantType: "NodePort", wantNodePort: 31380, wantURL: "http://svc.ns.svc.cluster.local:80",
		},
		{
			name: "NodePort chosen by Kubernetes",
			args: components.ServiceArgs{Type: components.ServiceTypeNodePort, Selector: map[string]string{"app": "nginx"},
				Ports: []components.ServicePort{{Port: 80}}},
			wantType: "NodePort", wantNodePort: 30001, wantURL: "http://svc.ns.svc.cluster.local:80",
		},
		{
			name: "LoadBalancer keeping the client IP",
			args: components.ServiceArgs{Type: components.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "nginx"},
				Ports: []components.ServicePort{{Port: 80}}, ExternalTrafficPolicy: components.ExternalTrafficPolicyLocal},
			wantType: "LoadBalancer", wantNodePort: 30001, wantURL: "http://svc.ns.svc.cluster.local:80",
			wantExternal: "203.0.113.7", wantPolicy: "Local",
		},
		{
			name:     "ExternalName",
			args:     components.ServiceArgs{Type: components.ServiceTypeExternalName, ExternalName: "db.example.com", Ports: []components.ServicePort{{Port: 5432}}},
			wantType: "ExternalName", wantURL: "http://db.example.com:5432", wantExternal: "db.example.com",
		},
		{
			name:            "Local policy means nothing for ClusterIP",
			args:            components.ServiceArgs{Selector: map[string]string{"app": "x"}, Ports: []components.ServicePort{{Port: 80}}, ExternalTrafficPolicy: components.ExternalTrafficPolicyLocal},
			wantErrContains: "externalTrafficPolicy",
		},
		{
			name:            "node port on a ClusterIP",
			args:            components.ServiceArgs{Selector: map[string]string{"app": "x"}, Ports: []components.ServicePort{{Port: 80, NodePort: 30080}}},
			wantErrContains: "ports[0].nodePort: Invalid value: 30080",
		},
		{
			name:            "ExternalName without a name",
			args:            components.ServiceArgs{Type: components.ServiceTypeExternalName, Ports: []components.ServicePort{{Port: 80}}},
			wantErrContains: "externalName: Required value",
		},
		{
			name:            "unknown type",
			args:            components.ServiceArgs{Type: "Ingress", Selector: map[string]string{"app": "x"}, Ports: []components.ServicePort{{Port: 80}}},
			wantErrContains: `type: Invalid value: "Ingress"`,
		},
		{
			name:            "no ports",
			args:            components.ServiceArgs{Selector: map[string]string{"app": "x"}},
			wantErrContains: "at least one port",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var url, external *pulumimock.Captured[string]
			var nodePort *pulumimock.Captured[int]
			mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
				args := tc.args
				args.Namespace = pulumi.String("ns")
				svc, err := components.NewService(ctx, "svc", &args)
				if err != nil {
					return err
				}
				url = pulumimock.Capture[string](svc.URL)
				external = pulumimock.Capture[string](svc.ExternalAddress)
				nodePort = pulumimock.Capture[int](svc.NodePort)
				return nil
			})
			if tc.wantErrContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrContains) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErrContains)
				}
				if n := len(mocks.Resources()); n != 0 {
					t.Fatalf("a refused Service registered %d resources: %v", n, mocks.Summary())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			component := mocks.Find(t, components.ServiceToken, "svc")
			k8s := mocks.Find(t, "kubernetes:core/v1:Service", "svc")
			if k8s.Parent != component.URN {
				t.Errorf("Kubernetes Service parent = %q, want the component %q", k8s.Parent, component.URN)
			}
			if got := k8s.Get("spec.type"); got != tc.wantType {
				t.Errorf("spec.type = %v, want %s", got, tc.wantType)
			}
			if got := k8s.Get("spec.externalTrafficPolicy"); got != tc.wantPolicy {
				t.Errorf("spec.externalTrafficPolicy = %v, want %v", got, tc.wantPolicy)
			}
			if url.Value(t) != tc.wantURL {
				t.Errorf("URL = %q, want %q", url.Value(t), tc.wantURL)
			}
			if nodePort.Value(t) != tc.wantNodePort {
				t.Errorf("NodePort = %d, want %d", nodePort.Value(t), tc.wantNodePort)
			}
			if external.Value(t) != tc.wantExternal {
				t.Errorf("ExternalAddress = %q, want %q", external.Value(t), tc.wantExternal)
			}
		})
	}
}

func TestServiceSkipAwait(t *testing.T) {
	for _, tc := range []struct {
		typ     components.ServiceType
		refused bool
	}{
		{components.ServiceTypeClusterIP, false},
		{components.ServiceTypeNodePort, false},
		{components.ServiceTypeLoadBalancer, true},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			mocks, err := pulumimock.Run(t, nil, func(ctx *pulumi.Context) error {
				_, err := components.NewService(ctx, "svc", &components.ServiceArgs{
					Namespace: pulumi.String("playground"), Type: tc.typ, Selector: map[string]string{"app": "x"},
					Ports: []components.ServicePort{{Name: "http", Port: 80}}, SkipAwait: true,
				})
				return err
			})
			if tc.refused {
				if err == nil || !strings.Contains(err.Error(), "must be awaited") {
					t.Errorf("SkipAwait on a LoadBalancer: %v, want a refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := mocks.Find(t, "kubernetes:core/v1:Service", "svc").Get("metadata.annotations.pulumi\\.com/skipAwait"); got != "true" {
				t.Errorf("skipAwait annotation = %v", got)
			}
		})
	}
}
