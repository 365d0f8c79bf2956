package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFromEnvValid(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{
			name: "defaults",
			env:  map[string]string{"SERVICE_TYPE": "A"},
			check: func(t *testing.T, c Config) {
				want := Config{
					ServiceType: "A", Port: 8000, Namespace: "default", ClusterDomain: "cluster.local",
					DownstreamTimeout: 3 * time.Second, DrainDelay: 2 * time.Second, ShutdownTimeout: 15 * time.Second,
					ServiceName: "service-a", LogLevel: slog.LevelInfo,
				}
				if c.ServiceType != want.ServiceType || c.Port != want.Port || c.Namespace != want.Namespace ||
					c.ClusterDomain != want.ClusterDomain || c.DownstreamTimeout != want.DownstreamTimeout ||
					c.DrainDelay != want.DrainDelay || c.ShutdownTimeout != want.ShutdownTimeout ||
					c.ServiceName != want.ServiceName || c.LogLevel != want.LogLevel {
					t.Errorf("got %+v, want %+v", c, want)
				}
				if c.ServiceHost != nil || c.ServicePort != nil || c.Next != nil || c.NextGRPC != nil || c.OTLPTracesURL != "" ||
					c.ServiceVersion != "" || c.ForwardHeaders != nil {
					t.Errorf("optional fields should be unset: %+v", c)
				}
				if c.Transport != TransportHTTP || c.GRPCPort != 0 || c.GRPCListenAddr() != "" || c.XDSBootstrapConfigured || c.HasNext() {
					t.Errorf("transport = %q, gRPC port %d (%q), xDS %v, has next %v; want plain HTTP and no gRPC",
						c.Transport, c.GRPCPort, c.GRPCListenAddr(), c.XDSBootstrapConfigured, c.HasNext())
				}
				if got := c.ListenAddr(); got != ":8000" {
					t.Errorf("ListenAddr = %q, want :8000", got)
				}
				if got := c.DNSName(); got != "service-a.default.svc.cluster.local" {
					t.Errorf("DNSName = %q", got)
				}
			},
		},
		{
			name: "kubernetes discovery variables of the hop's own service",
			env: map[string]string{
				"SERVICE_TYPE": "A", "SERVICE_A_SERVICE_HOST": "192.0.2.183", "SERVICE_A_SERVICE_PORT": "80",
				"SERVICE_B_SERVICE_HOST": "192.0.2.2", // another hop's: ignored
			},
			check: func(t *testing.T, c Config) {
				if c.ServiceHost == nil || *c.ServiceHost != "192.0.2.183" || c.ServicePort == nil || *c.ServicePort != "80" {
					t.Errorf("host/port = %v/%v", c.ServiceHost, c.ServicePort)
				}
			},
		},
		{
			name: "lower-case type with dash maps like Kubernetes does",
			env: map[string]string{
				"SERVICE_TYPE": "front-end", "SERVICE_FRONT_END_SERVICE_HOST": "192.0.2.3",
				"POD_NAMESPACE": "playground", "CLUSTER_DOMAIN": "example.internal.",
			},
			check: func(t *testing.T, c Config) {
				if c.ServiceHost == nil || *c.ServiceHost != "192.0.2.3" {
					t.Errorf("ServiceHost = %v", c.ServiceHost)
				}
				if c.ServicePort != nil {
					t.Errorf("ServicePort = %v, want nil (unset)", *c.ServicePort)
				}
				if got := c.DNSName(); got != "service-front-end.playground.svc.example.internal" {
					t.Errorf("DNSName = %q", got)
				}
				if c.ServiceName != "service-front-end" {
					t.Errorf("ServiceName = %q", c.ServiceName)
				}
			},
		},
		{
			name: "empty discovery value is kept (set but empty), not null",
			env:  map[string]string{"SERVICE_TYPE": "C", "SERVICE_C_SERVICE_PORT": ""},
			check: func(t *testing.T, c Config) {
				if c.ServicePort == nil || *c.ServicePort != "" {
					t.Errorf("ServicePort = %v, want pointer to empty string", c.ServicePort)
				}
			},
		},
		{
			name: "next hop, port, timeouts, listen host",
			env: map[string]string{
				"SERVICE_TYPE": "B", "PORT": "9090", "LISTEN_HOST": "127.0.0.1", "NEXT": "http://service-c:8000/",
				"DOWNSTREAM_TIMEOUT": "250ms", "DRAIN_DELAY": "0s", "SHUTDOWN_TIMEOUT": "1m", "LOG_LEVEL": "debug",
			},
			check: func(t *testing.T, c Config) {
				if c.Port != 9090 || c.ListenAddr() != "127.0.0.1:9090" {
					t.Errorf("port/addr = %d/%s", c.Port, c.ListenAddr())
				}
				if c.Next == nil || c.Next.String() != "http://service-c:8000/" {
					t.Errorf("Next = %v", c.Next)
				}
				if got := c.NextServiceURL(); got != "http://service-c:8000/service" {
					t.Errorf("NextServiceURL = %q", got)
				}
				if c.DownstreamTimeout != 250*time.Millisecond || c.DrainDelay != 0 || c.ShutdownTimeout != time.Minute {
					t.Errorf("durations = %s %s %s", c.DownstreamTimeout, c.DrainDelay, c.ShutdownTimeout)
				}
				if c.LogLevel != slog.LevelDebug {
					t.Errorf("LogLevel = %s", c.LogLevel)
				}
			},
		},
		{
			name: "version and forwarded headers: names trimmed and lower-cased",
			env: map[string]string{
				"SERVICE_TYPE": "C", "SERVICE_VERSION": "v2",
				"FORWARD_HEADERS": " End-User , x-canary,x_tenant.id",
			},
			check: func(t *testing.T, c Config) {
				if c.ServiceVersion != "v2" {
					t.Errorf("ServiceVersion = %q, want v2", c.ServiceVersion)
				}
				if got, want := strings.Join(c.ForwardHeaders, "|"), "end-user|x-canary|x_tenant.id"; got != want {
					t.Errorf("ForwardHeaders = %q, want %q", got, want)
				}
			},
		},
		{
			name: "version of 63 characters, one forwarded header",
			env:  map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": strings.Repeat("v", 63), "FORWARD_HEADERS": "end-user"},
			check: func(t *testing.T, c Config) {
				if len(c.ServiceVersion) != 63 || len(c.ForwardHeaders) != 1 || c.ForwardHeaders[0] != "end-user" {
					t.Errorf("ServiceVersion %q, ForwardHeaders %q", c.ServiceVersion, c.ForwardHeaders)
				}
			},
		},
		{
			name: "next hop with a path prefix",
			env:  map[string]string{"SERVICE_TYPE": "A", "NEXT": "https://gateway.example:8443/chain/b"},
			check: func(t *testing.T, c Config) {
				if got := c.NextServiceURL(); got != "https://gateway.example:8443/chain/b/service" {
					t.Errorf("NextServiceURL = %q", got)
				}
			},
		},
		{
			name: "OTLP base endpoint gets /v1/traces; OTEL_SERVICE_NAME wins",
			env: map[string]string{
				"SERVICE_TYPE": "A", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger-collector:4318",
				"OTEL_SERVICE_NAME": "custom",
			},
			check: func(t *testing.T, c Config) {
				if c.OTLPTracesURL != "http://jaeger-collector:4318/v1/traces" {
					t.Errorf("OTLPTracesURL = %q", c.OTLPTracesURL)
				}
				if c.ServiceName != "custom" {
					t.Errorf("ServiceName = %q", c.ServiceName)
				}
			},
		},
		{
			name: "signal-specific OTLP endpoint is used as is",
			env: map[string]string{
				"SERVICE_TYPE": "A", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/custom/path",
			},
			check: func(t *testing.T, c Config) {
				if c.OTLPTracesURL != "http://collector:4318/custom/path" {
					t.Errorf("OTLPTracesURL = %q", c.OTLPTracesURL)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(MapLookup(tt.env))
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestFromEnvInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		// wantErr are substrings the error must contain: the offending
		// variable, so a user knows what to fix.
		wantErr []string
	}{
		{"missing service type", map[string]string{}, []string{"SERVICE_TYPE is not set"}},
		{"service type with underscore", map[string]string{"SERVICE_TYPE": "a_b"}, []string{`SERVICE_TYPE="a_b"`}},
		{"service type ending in dash", map[string]string{"SERVICE_TYPE": "a-"}, []string{`SERVICE_TYPE="a-"`}},
		{"service type too long", map[string]string{"SERVICE_TYPE": strings.Repeat("a", 56)}, []string{"SERVICE_TYPE="}},
		{"port not a number", map[string]string{"SERVICE_TYPE": "A", "PORT": "http"}, []string{`PORT="http"`}},
		{"port zero", map[string]string{"SERVICE_TYPE": "A", "PORT": "0"}, []string{`PORT="0"`}},
		{"port too large", map[string]string{"SERVICE_TYPE": "A", "PORT": "65536"}, []string{`PORT="65536"`}},
		{"listen host not an IP", map[string]string{"SERVICE_TYPE": "A", "LISTEN_HOST": "localhost"}, []string{"LISTEN_HOST"}},
		{"next relative", map[string]string{"SERVICE_TYPE": "A", "NEXT": "service-b:8000"}, []string{"NEXT=", "absolute http"}},
		{"next without scheme", map[string]string{"SERVICE_TYPE": "A", "NEXT": "//service-b:8000"}, []string{"NEXT="}},
		{"next wrong scheme", map[string]string{"SERVICE_TYPE": "A", "NEXT": "ftp://service-b"}, []string{"NEXT="}},
		{"next without host", map[string]string{"SERVICE_TYPE": "A", "NEXT": "http:///service"}, []string{"NEXT=", "host"}},
		{"next with query", map[string]string{"SERVICE_TYPE": "A", "NEXT": "http://b:8000/?x=1"}, []string{"NEXT=", "query"}},
		{"next with bad port", map[string]string{"SERVICE_TYPE": "A", "NEXT": "http://b:99999"}, []string{"NEXT="}},
		{"next with user info", map[string]string{"SERVICE_TYPE": "A", "NEXT": "http://u:p@b:8000"}, []string{"NEXT=", "user info"}},
		{"timeout not a duration", map[string]string{"SERVICE_TYPE": "A", "DOWNSTREAM_TIMEOUT": "3"}, []string{"DOWNSTREAM_TIMEOUT"}},
		{"timeout zero", map[string]string{"SERVICE_TYPE": "A", "DOWNSTREAM_TIMEOUT": "0s"}, []string{"DOWNSTREAM_TIMEOUT"}},
		{"negative drain delay", map[string]string{"SERVICE_TYPE": "A", "DRAIN_DELAY": "-1s"}, []string{"DRAIN_DELAY"}},
		{"bad namespace", map[string]string{"SERVICE_TYPE": "A", "POD_NAMESPACE": "Not_A_Label"}, []string{"POD_NAMESPACE"}},
		{"bad otlp endpoint", map[string]string{"SERVICE_TYPE": "A", "OTEL_EXPORTER_OTLP_ENDPOINT": "jaeger:4318"}, []string{"OTEL_EXPORTER_OTLP_ENDPOINT"}},
		{"bad log level", map[string]string{"SERVICE_TYPE": "A", "LOG_LEVEL": "loud"}, []string{"LOG_LEVEL"}},
		// SERVICE_VERSION: a DNS label, as a version label is.
		{"version in upper case", map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": "V2"}, []string{`SERVICE_VERSION="V2"`, "DNS label"}},
		{"version with underscore", map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": "v2_1"}, []string{`SERVICE_VERSION="v2_1"`}},
		{"version with a dot", map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": "v2.1"}, []string{`SERVICE_VERSION="v2.1"`}},
		{"version starting with dash", map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": "-v2"}, []string{`SERVICE_VERSION="-v2"`}},
		{"version too long", map[string]string{"SERVICE_TYPE": "C", "SERVICE_VERSION": strings.Repeat("v", 64)}, []string{"SERVICE_VERSION=", "at most 63"}},
		// FORWARD_HEADERS: every refused name named with its reason, and
		// what is accepted.
		{"forward: space in a name", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "end user"}, []string{`FORWARD_HEADERS="end user"`, `"end user": not a header name`, "accepted: comma-separated header names"}},
		{"forward: HTTP token gRPC cannot carry", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "x!y"}, []string{`"x!y": not a header name`}},
		{"forward: non-ASCII", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "usér"}, []string{`"usér": not a header name`}},
		{"forward: empty element", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "end-user,,x-canary"}, []string{`"": an empty name`}},
		{"forward: listed twice", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "end-user,End-User"}, []string{`"End-User": listed twice`}},
		{"forward: pseudo-header", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": ":authority"}, []string{`":authority": a pseudo-header`}},
		{"forward: hop-by-hop", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "Connection"}, []string{`"Connection": a hop-by-hop header`}},
		{"forward: te", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "te"}, []string{`"te": a hop-by-hop header`}},
		{"forward: host", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "host"}, []string{`"host": set by the transports`}},
		{"forward: user-agent", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "user-agent"}, []string{`"user-agent": set by the transports`}},
		{"forward: grpc-*", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "grpc-timeout"}, []string{`"grpc-timeout": reserved by gRPC`}},
		{"forward: binary metadata", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "token-bin"}, []string{`"token-bin": a binary gRPC header`}},
		{"forward: x-request-id", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "X-Request-Id"}, []string{`"X-Request-Id": carried already`}},
		{"forward: traceparent", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "traceparent"}, []string{`"traceparent": a trace-context header`}},
		{"forward: tracestate", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "tracestate"}, []string{`"tracestate": a trace-context header`}},
		{"forward: baggage", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "baggage"}, []string{`"baggage": a trace-context header`}},
		{"forward: b3", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "b3"}, []string{`"b3": a trace-context header`}},
		{"forward: x-b3-*", map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "X-B3-Sampled"}, []string{`"X-B3-Sampled": a trace-context header`}},
		{
			"forward: every bad name in one error, good ones not blamed",
			map[string]string{"SERVICE_TYPE": "A", "FORWARD_HEADERS": "end-user, traceparent, x y"},
			[]string{`FORWARD_HEADERS="end-user, traceparent, x y": "traceparent": a trace-context header`, `; "x y": not a header name`, "; accepted: "},
		},
		// Transport and gRPC (transport_test.go has the accepted forms).
		{"unknown transport", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "quic"}, []string{`TRANSPORT="quic"`, "must be http or grpc"}},
		{"transport in upper case", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "GRPC"}, []string{`TRANSPORT="GRPC"`}},
		{"grpc port under http", map[string]string{"SERVICE_TYPE": "A", "GRPC_PORT": "8001"}, []string{`GRPC_PORT="8001"`, "TRANSPORT=grpc"}},
		{"grpc port under explicit http", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "http", "GRPC_PORT": "9001"}, []string{`GRPC_PORT="9001"`}},
		{"grpc port not a number", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "GRPC_PORT": "grpc"}, []string{`GRPC_PORT="grpc"`, "between 1 and 65535"}},
		{"grpc port too large", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "GRPC_PORT": "70000"}, []string{`GRPC_PORT="70000"`}},
		{"grpc port equals port", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "PORT": "9000", "GRPC_PORT": "9000"}, []string{`GRPC_PORT="9000"`, "differ from PORT (9000)"}},
		{"default grpc port equals port", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "PORT": "8001"}, []string{"GRPC_PORT (unset, default 8001)", "differ from PORT (8001)"}},
		{"http url under grpc", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "http://service-b:8000"}, []string{"NEXT=", "an http URL", "xds:///host:port"}},
		{"grpc target under http", map[string]string{"SERVICE_TYPE": "A", "NEXT": "dns:///service-b:8001"}, []string{"NEXT=", "a gRPC target", "TRANSPORT=http", "set TRANSPORT=grpc"}},
		{"xds target under http", map[string]string{"SERVICE_TYPE": "A", "NEXT": "xds:///service-b:8001"}, []string{"NEXT=", "a gRPC target"}},
		{"xds target without bootstrap", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "xds:///service-b.ns.svc.cluster.local:8001"}, []string{"NEXT=", "GRPC_XDS_BOOTSTRAP"}},
		{"grpc target without port", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns:///service-b"}, []string{"NEXT=", "host and a port"}},
		{"grpc target without host", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "passthrough:///:8001"}, []string{"NEXT=", "host and a port"}},
		{"grpc target with bad port", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns:///b:0"}, []string{"NEXT=", "out of range"}},
		{"grpc target with authority", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns://8.8.8.8/b:8001"}, []string{"NEXT=", "three slashes"}},
		{"grpc target without slashes", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "passthrough:b:8001"}, []string{"NEXT=", "three slashes"}},
		{"grpc target with query", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns:///b:8001?x=1"}, []string{"NEXT=", "query"}},
		{"grpc target with path", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "dns:///b:8001/service"}, []string{"NEXT="}},
		{"other scheme under grpc", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "unix:///run/b.sock"}, []string{"NEXT=", "must be a gRPC target"}},
		{"bare host:port under grpc", map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "grpc", "NEXT": "service-b:8001"}, []string{"NEXT=", "must be a gRPC target"}},
		{
			"unknown transport: the rest is still checked",
			map[string]string{"SERVICE_TYPE": "A", "TRANSPORT": "h2", "GRPC_PORT": "x", "NEXT": "dns:///b"},
			[]string{`TRANSPORT="h2"`, `GRPC_PORT="x"`, `NEXT="dns:///b"`},
		},
		{
			"all problems reported at once",
			map[string]string{"SERVICE_TYPE": "A", "PORT": "x", "NEXT": "nope"},
			[]string{"PORT=", "NEXT="},
		},
		{
			"new variables reported beside the others",
			map[string]string{"SERVICE_TYPE": "A", "PORT": "x", "SERVICE_VERSION": "V1", "FORWARD_HEADERS": "b3"},
			[]string{"PORT=", "SERVICE_VERSION=", "FORWARD_HEADERS="},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromEnv(MapLookup(tt.env))
			if err == nil {
				t.Fatal("FromEnv succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestDiscoveryEnvPrefix(t *testing.T) {
	tests := map[string]string{
		"A":         "SERVICE_A_SERVICE_",
		"b":         "SERVICE_B_SERVICE_",
		"front-end": "SERVICE_FRONT_END_SERVICE_",
	}
	for typ, want := range tests {
		if got := DiscoveryEnvPrefix(typ); got != want {
			t.Errorf("DiscoveryEnvPrefix(%q) = %q, want %q", typ, got, want)
		}
	}
}
