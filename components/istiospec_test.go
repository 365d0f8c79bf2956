package components

import (
	"reflect"
	"testing"

	networkingv1 "istio.io/api/networking/v1"
	securityv1 "istio.io/api/security/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestSpecMapWritesChosenZeroEnums: the enums a reviewer must see are
// written at their zero value, wherever in the spec they sit; other zero
// enums stay left out as Istio's JSON leaves them, and specs that are not
// Istio's pass through.
func TestSpecMapWritesChosenZeroEnums(t *testing.T) {
	tests := []struct {
		name string
		spec interface{}
		want map[string]interface{}
	}{
		{name: "an ALLOW policy without rules", spec: &securityv1.AuthorizationPolicy{},
			want: map[string]interface{}{"action": "ALLOW"}},
		{name: "a DENY policy keeps its action", spec: &securityv1.AuthorizationPolicy{Action: securityv1.AuthorizationPolicy_DENY},
			want: map[string]interface{}{"action": "DENY"}},
		{name: "TLS modes in a list of port settings", spec: &networkingv1.DestinationRule{Host: "h",
			TrafficPolicy: &networkingv1.TrafficPolicy{PortLevelSettings: []*networkingv1.TrafficPolicy_PortTrafficPolicy{
				{Port: &networkingv1.PortSelector{Number: 8001}, Tls: &networkingv1.ClientTLSSettings{Mode: networkingv1.ClientTLSSettings_ISTIO_MUTUAL}},
				{Port: &networkingv1.PortSelector{Number: 8000}, Tls: &networkingv1.ClientTLSSettings{}},
				{Port: &networkingv1.PortSelector{Number: 9000}},
			}}},
			want: map[string]interface{}{"host": "h", "trafficPolicy": map[string]interface{}{"portLevelSettings": []interface{}{
				map[string]interface{}{"port": map[string]interface{}{"number": 8001.0}, "tls": map[string]interface{}{"mode": "ISTIO_MUTUAL"}},
				map[string]interface{}{"port": map[string]interface{}{"number": 8000.0}, "tls": map[string]interface{}{"mode": "DISABLE"}},
				map[string]interface{}{"port": map[string]interface{}{"number": 9000.0}},
			}}}},
		{name: "a TLS mode in a message field", spec: &networkingv1.DestinationRule{Host: "h",
			TrafficPolicy: &networkingv1.TrafficPolicy{Tls: &networkingv1.ClientTLSSettings{}}},
			want: map[string]interface{}{"host": "h", "trafficPolicy": map[string]interface{}{"tls": map[string]interface{}{"mode": "DISABLE"}}}},
		{name: "other zero enums stay out", spec: &networkingv1.Gateway{Servers: []*networkingv1.Server{{
			Port: &networkingv1.Port{Number: 443, Name: "https", Protocol: "HTTPS"}, Hosts: []string{"*"}, Tls: &networkingv1.ServerTLSSettings{}}}},
			want: map[string]interface{}{"servers": []interface{}{map[string]interface{}{
				"port": map[string]interface{}{"number": 443.0, "name": "https", "protocol": "HTTPS"}, "hosts": []interface{}{"*"}, "tls": map[string]interface{}{}}}}},
		{name: "a Gateway API spec passes through", spec: &gatewayv1.HTTPRouteSpec{Hostnames: []gatewayv1.Hostname{"example.com"}},
			want: map[string]interface{}{"hostnames": []interface{}{"example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := specMap(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("specMap:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}
