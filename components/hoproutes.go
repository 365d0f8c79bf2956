package components

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networkingv1 "istio.io/api/networking/v1"
)

// hopHost is a hop's Service by its full name, as Istio's VirtualService
// and DestinationRule name it (and a proxyless client asks for it).
func hopHost(hop, namespace string) string {
	return HopServiceName(hop) + "." + namespace + ".svc." + ClusterDomain
}

// hopHTTPRoutes are the routes of a call to hop on one of its ports, in
// Istio's order: one per header match, sending it to its version, then
// the weighted split over the versions (or the hop itself when it has
// none). The hop's timeout, retries and fault apply to every route: they
// are how a caller treats the hop, whichever version answers. A hop of
// several ports (the grpc transport's HTTP and gRPC) gets routes per port,
// each matching its port: Istio cannot tell which port a destination
// means otherwise (its analyzer's IST0112).
func hopHTTPRoutes(t HopTraffic, host string, port uint32, matchPort bool) []*networkingv1.HTTPRoute {
	dest := &networkingv1.PortSelector{Number: port}
	suffix := ""
	match := func(m *networkingv1.HTTPMatchRequest) []*networkingv1.HTTPMatchRequest {
		if matchPort {
			m.Port = port
		}
		if m.Port == 0 && m.Headers == nil {
			return nil
		}
		return []*networkingv1.HTTPMatchRequest{m}
	}
	if matchPort {
		suffix = fmt.Sprintf("-%d", port)
	}
	withPolicy := func(r *networkingv1.HTTPRoute) *networkingv1.HTTPRoute {
		r.Timeout = protoDuration(t.Timeout)
		r.Retries = t.Retries.proto()
		r.Fault = t.Fault.proto()
		return r
	}
	var routes []*networkingv1.HTTPRoute
	for i, m := range t.Match {
		headers := map[string]*networkingv1.StringMatch{}
		for name, sm := range m.Headers {
			headers[name] = sm.proto()
		}
		routes = append(routes, withPolicy(&networkingv1.HTTPRoute{
			Name:  fmt.Sprintf("match-%d-%s%s", i, m.Version, suffix),
			Match: match(&networkingv1.HTTPMatchRequest{Headers: headers}),
			Route: []*networkingv1.HTTPRouteDestination{{Destination: &networkingv1.Destination{Host: host, Subset: m.Version, Port: dest}}},
		}))
	}
	var split []*networkingv1.HTTPRouteDestination
	for _, v := range t.Versions {
		if v.Weight == 0 && len(t.Versions) > 1 {
			// Reached by header matches alone.
			continue
		}
		d := &networkingv1.HTTPRouteDestination{Destination: &networkingv1.Destination{Host: host, Subset: v.Name, Port: dest}}
		if len(t.Versions) > 1 {
			d.Weight = int32(v.Weight)
		}
		split = append(split, d)
	}
	if len(split) == 0 {
		split = []*networkingv1.HTTPRouteDestination{{Destination: &networkingv1.Destination{Host: host, Port: dest}}}
	}
	return append(routes, withPolicy(&networkingv1.HTTPRoute{Name: "default" + suffix, Match: match(&networkingv1.HTTPMatchRequest{}), Route: split}))
}

// hopVirtualService routes the mesh's calls to hop i, on each of its
// ports: every caller in the mesh (the previous hop, a proxyless client
// or an Envoy sidecar).
func hopVirtualService(s SampleChainSpec, i int, namespace string) *networkingv1.VirtualService {
	host := hopHost(s.Hops[i], namespace)
	ports := hopServicePorts(s)
	vs := &networkingv1.VirtualService{Hosts: []string{host}}
	for _, p := range ports {
		vs.Http = append(vs.Http, hopHTTPRoutes(s.trafficOf(s.Hops[i]), host, uint32(p.Port), len(ports) > 1)...)
	}
	return vs
}

// hopDestinationRule is what a caller of hop i knows of its pods: the
// version subsets, the circuit breaking, and with the grpc transport the
// TLS of each port. Proxyless clients do no auto-mTLS: without
// ISTIO_MUTUAL for the gRPC port they would call in plaintext, which
// STRICT refuses. The HTTP port is plain (the hop's own net/http server;
// no proxy stands in front of it): DISABLE keeps an Envoy caller, the
// ingress gateway in particular, from sending it the mTLS its auto-mTLS
// would choose for an endpoint labeled tlsMode istio. Istio applies port
// settings instead of the rule's (they do not inherit), so each port
// repeats the circuit breaking.
func hopDestinationRule(s SampleChainSpec, i int, namespace string) *networkingv1.DestinationRule {
	t := s.trafficOf(s.Hops[i])
	dr := &networkingv1.DestinationRule{Host: hopHost(s.Hops[i], namespace)}
	pool, outliers := t.ConnectionPool.proto(), t.OutlierDetection.proto()
	if s.Transport == ChainTransportGRPC {
		port := func(number int, mode networkingv1.ClientTLSSettings_TLSmode) *networkingv1.TrafficPolicy_PortTrafficPolicy {
			return &networkingv1.TrafficPolicy_PortTrafficPolicy{
				Port:             &networkingv1.PortSelector{Number: uint32(number)},
				ConnectionPool:   pool,
				OutlierDetection: outliers,
				Tls:              &networkingv1.ClientTLSSettings{Mode: mode},
			}
		}
		dr.TrafficPolicy = &networkingv1.TrafficPolicy{PortLevelSettings: []*networkingv1.TrafficPolicy_PortTrafficPolicy{
			port(s.GRPCPort, networkingv1.ClientTLSSettings_ISTIO_MUTUAL),
			port(s.Port, networkingv1.ClientTLSSettings_DISABLE),
		}}
	} else if pool != nil || outliers != nil {
		dr.TrafficPolicy = &networkingv1.TrafficPolicy{ConnectionPool: pool, OutlierDetection: outliers}
	}
	for _, v := range t.Versions {
		dr.Subsets = append(dr.Subsets, &networkingv1.Subset{Name: v.Name, Labels: map[string]string{"version": v.Name}})
	}
	return dr
}

// hasDestinationRule reports whether hop i needs a DestinationRule: for
// its ports' TLS (grpc), its versions' subsets or its circuit breaking. A
// timeout, retries or fault alone are the VirtualService's.
func (s SampleChainSpec) hasDestinationRule(i int) bool {
	t := s.trafficOf(s.Hops[i])
	return s.Transport == ChainTransportGRPC || t.versioned() || t.ConnectionPool != nil || t.OutlierDetection != nil
}

// newHopTrafficRules registers hop i's DestinationRule and, when it has
// traffic rules, its VirtualService. The DestinationRule's resource name
// was "<hop>-tls" while TLS was all it held: the alias keeps existing
// stacks' rule in place.
func newHopTrafficRules(ctx *pulumi.Context, s SampleChainSpec, i int, mesh MeshAttachment, parent pulumi.ResourceOption) error {
	name := HopServiceName(s.Hops[i])
	opts := []pulumi.ResourceOption{parent, pulumi.DependsOn(mesh.IstioAPI)}
	if s.hasDestinationRule(i) {
		_, err := newIstioResourceInNamespace(ctx, name+"-destination", istioResource{
			apiVersion: "networking.istio.io/v1", kind: "DestinationRule", name: name, namespace: mesh.AppNamespace,
		}, func(ns string) interface{} { return hopDestinationRule(s, i, ns) },
			append(opts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(name + "-tls")}}))...)
		if err != nil {
			return err
		}
	}
	if !s.trafficOf(s.Hops[i]).routed() {
		return nil
	}
	_, err := newIstioResourceInNamespace(ctx, name+"-routes", istioResource{
		apiVersion: "networking.istio.io/v1", kind: "VirtualService", name: name, namespace: mesh.AppNamespace,
	}, func(ns string) interface{} { return hopVirtualService(s, i, ns) }, opts...)
	return err
}

func (m StringMatch) proto() *networkingv1.StringMatch {
	switch {
	case m.Exact != "":
		return &networkingv1.StringMatch{MatchType: &networkingv1.StringMatch_Exact{Exact: m.Exact}}
	case m.Prefix != "":
		return &networkingv1.StringMatch{MatchType: &networkingv1.StringMatch_Prefix{Prefix: m.Prefix}}
	default:
		return &networkingv1.StringMatch{MatchType: &networkingv1.StringMatch_Regex{Regex: m.Regex}}
	}
}

func (r *HopRetries) proto() *networkingv1.HTTPRetry {
	if r == nil {
		return nil
	}
	return &networkingv1.HTTPRetry{Attempts: int32(r.Attempts), PerTryTimeout: protoDuration(r.PerTryTimeout), RetryOn: r.RetryOn}
}

func (f *HopFault) proto() *networkingv1.HTTPFaultInjection {
	if f == nil {
		return nil
	}
	out := &networkingv1.HTTPFaultInjection{}
	if d := f.Delay; d != nil {
		out.Delay = &networkingv1.HTTPFaultInjection_Delay{
			HttpDelayType: &networkingv1.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: protoDuration(d.FixedDelay)},
			Percentage:    &networkingv1.Percent{Value: d.Percent},
		}
	}
	if a := f.Abort; a != nil {
		out.Abort = &networkingv1.HTTPFaultInjection_Abort{Percentage: &networkingv1.Percent{Value: a.Percent}}
		if a.GRPCStatus != "" {
			out.Abort.ErrorType = &networkingv1.HTTPFaultInjection_Abort_GrpcStatus{GrpcStatus: a.GRPCStatus}
		} else {
			out.Abort.ErrorType = &networkingv1.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: int32(a.HTTPStatus)}
		}
	}
	return out
}

func (c *ConnectionPool) proto() *networkingv1.ConnectionPoolSettings {
	if c == nil {
		return nil
	}
	out := &networkingv1.ConnectionPoolSettings{}
	if t := c.TCP; t != nil {
		out.Tcp = &networkingv1.ConnectionPoolSettings_TCPSettings{MaxConnections: int32(t.MaxConnections), ConnectTimeout: protoDuration(t.ConnectTimeout)}
	}
	if h := c.HTTP; h != nil {
		out.Http = &networkingv1.ConnectionPoolSettings_HTTPSettings{
			Http1MaxPendingRequests:  int32(h.HTTP1MaxPendingRequests),
			Http2MaxRequests:         int32(h.HTTP2MaxRequests),
			MaxRequestsPerConnection: int32(h.MaxRequestsPerConnection),
			MaxRetries:               int32(h.MaxRetries),
		}
	}
	return out
}

func (o *OutlierDetection) proto() *networkingv1.OutlierDetection {
	if o == nil {
		return nil
	}
	out := &networkingv1.OutlierDetection{
		Interval:           protoDuration(o.Interval),
		BaseEjectionTime:   protoDuration(o.BaseEjectionTime),
		MaxEjectionPercent: int32(o.MaxEjectionPercent),
	}
	if o.Consecutive5xxErrors > 0 {
		out.Consecutive_5XxErrors = wrapperspb.UInt32(uint32(o.Consecutive5xxErrors))
	}
	return out
}

// protoDuration is a validated duration as Istio's API takes it (nil for "").
func protoDuration(v string) *durationpb.Duration {
	if v == "" {
		return nil
	}
	d, _ := time.ParseDuration(v)
	return durationpb.New(d)
}
