package app_test

// End-to-end trace test against a real Jaeger (v2) process: three hops
// export over OTLP/HTTP, and Jaeger's query API must return one trace with
// the right parent links. Jaeger is the binary hack/build-jaeger.sh builds;
// its path comes from JAEGER_BIN. `go test -short` skips this test; a full
// run without JAEGER_BIN fails, so CI cannot silently lose it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/app"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/config"
	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/server"
)

const (
	jaegerStartTimeout = 60 * time.Second
	traceQueryTimeout  = 30 * time.Second
	pollInterval       = 100 * time.Millisecond
)

// jaegerConfig keeps every listener of Jaeger on 127.0.0.1: the OTLP/HTTP
// receiver and the query HTTP and gRPC servers. No other receiver or
// extension is enabled, and the collector's own metrics (:8888) and traces
// are off.
const jaegerConfig = `
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
      readers: []
    traces:
      level: none
    logs:
      level: info
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 1000
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:%[2]d
    grpc:
      endpoint: 127.0.0.1:%[3]d
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%[1]d
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

type jaeger struct {
	cmd      *exec.Cmd
	otlpURL  string // OTLP/HTTP base URL
	queryURL string // query HTTP base URL
	ports    []int
	log      *bytes.Buffer
}

func TestTracesReachJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real Jaeger (JAEGER_BIN); skipped in -short mode")
	}
	bin := os.Getenv("JAEGER_BIN")
	if bin == "" {
		t.Fatal("JAEGER_BIN is not set: build Jaeger with hack/build-jaeger.sh and set JAEGER_BIN to the path it prints, or run `go test -short` to skip this test")
	}
	j := startJaeger(t, bin)
	assertLoopbackOnly(t, j)

	// The test plays the caller (Envoy at the edge) with a known trace id.
	callerTrace, callerSpan := randomHex(t, 16), randomHex(t, 8)
	apps := startChain(t, j.otlpURL)

	req, err := http.NewRequest(http.MethodGet, apps[0].url+"/service", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	req.Header.Set("X-Request-Id", "jaeger-e2e-1")
	resp, err := loopbackClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"SERVICE_TYPE":"C"`) {
		t.Fatalf("A /service: %d %s", resp.StatusCode, body)
	}

	// Export now instead of waiting for the batch timer.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range apps {
		if err := a.app.Tracing.ForceFlush(ctx); err != nil {
			t.Fatalf("flush %s: %v", a.app.Config.ServiceName, err)
		}
	}

	// Every hop flushed above, so the trace is complete: a server span per
	// hop and C's build-response, and nothing else (the calls between the
	// hops carry the context but have no span of their own).
	tr := waitForTrace(t, j, callerTrace, 4)
	t.Logf("trace %s: %s", callerTrace, tr.summary())
	if len(tr.Spans) != 4 {
		t.Fatalf("trace holds %d spans, want 4: %s", len(tr.Spans), tr.summary())
	}
	find := func(service, operation, kind string) jaegerSpan {
		t.Helper()
		var found []jaegerSpan
		for _, s := range tr.Spans {
			if tr.Processes[s.ProcessID].ServiceName == service && s.OperationName == operation && s.tag("span.kind") == kind {
				found = append(found, s)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d spans %s/%s/%s in trace: %s", len(found), service, operation, kind, tr.summary())
		}
		return found[0]
	}
	aServer := find("service-a", "GET /service", "server")
	bServer := find("service-b", "GET /service", "server")
	cServer := find("service-c", "GET /service", "server")
	cBuild := find("service-c", "build-response", "internal")

	links := []struct {
		name   string
		child  jaegerSpan
		parent string
	}{
		{"A server <- caller", aServer, callerSpan},
		{"B server <- A server", bServer, aServer.SpanID},
		{"C server <- B server", cServer, bServer.SpanID},
		{"C build-response <- C server", cBuild, cServer.SpanID},
	}
	for _, l := range links {
		if got := l.child.parent(); got != l.parent {
			t.Errorf("%s: parent %q, want %q", l.name, got, l.parent)
		}
	}
	if got := cServer.tag("guid:x-request-id"); got != "jaeger-e2e-1" {
		t.Errorf("C's server span x-request-id = %q, want jaeger-e2e-1", got)
	}

	// Listeners opened lazily would show up only now.
	assertLoopbackOnly(t, j)
}

// freePorts reserves n distinct loopback ports and releases them for
// Jaeger to bind (a small window exists in which another process could
// take one; Jaeger then fails to start and the test says so).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

func startJaeger(t *testing.T, bin string) *jaeger {
	t.Helper()
	dir := t.TempDir()
	ports := freePorts(t, 3)
	cfgPath := filepath.Join(dir, "jaeger.yaml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, jaegerConfig, ports[0], ports[1], ports[2]), 0o600); err != nil {
		t.Fatal(err)
	}
	j := &jaeger{
		otlpURL:  fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		queryURL: fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		ports:    ports,
		log:      &bytes.Buffer{},
	}
	j.cmd = exec.Command(bin, "--config", cfgPath)
	// A clean environment: no OTEL_* or proxy variables from the caller.
	j.cmd.Env = []string{"HOME=" + dir}
	j.cmd.Dir = dir
	out := &lockedBuffer{buf: j.log}
	j.cmd.Stdout, j.cmd.Stderr = out, out
	if err := j.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- j.cmd.Wait() }()
	t.Cleanup(func() {
		_ = j.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = j.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("jaeger log:\n%s", out.String())
		}
	})

	// Ready when the query API answers.
	deadline := time.Now().Add(jaegerStartTimeout)
	client := loopbackClient()
	for {
		select {
		case err := <-exited:
			t.Fatalf("jaeger exited during start-up: %v\n%s", err, out.String())
		default:
		}
		resp, err := client.Get(j.queryURL + "/api/services")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("jaeger query API not ready after %s (last error %v)\n%s", jaegerStartTimeout, err, out.String())
		}
		time.Sleep(pollInterval)
	}
}

// assertLoopbackOnly fails unless every TCP and UDP socket the Jaeger
// process has bound is on 127.0.0.0/8 (or ::1), and the expected ports are
// among them. It reads /proc: the socket inodes of the process's file
// descriptors, matched against /proc/net/{tcp,tcp6,udp,udp6}.
func assertLoopbackOnly(t *testing.T, j *jaeger) {
	t.Helper()
	pid := j.cmd.Process.Pid
	inodes := socketInodes(t, pid)
	listening := map[int]bool{}
	for _, table := range []string{"tcp", "tcp6", "udp", "udp6"} {
		for _, e := range readSocketTable(t, table) {
			if !inodes[e.inode] {
				continue
			}
			tcpListen := strings.HasPrefix(table, "tcp") && e.state == "0A"
			udpBound := strings.HasPrefix(table, "udp")
			if !tcpListen && !udpBound {
				continue // connections: checked through their listeners
			}
			if !e.ip.IsLoopback() {
				t.Errorf("jaeger (pid %d) has a %s socket on %s:%d, not loopback", pid, table, e.ip, e.port)
			}
			if tcpListen {
				listening[e.port] = true
			}
		}
	}
	for _, p := range j.ports {
		if !listening[p] {
			t.Errorf("jaeger is not listening on 127.0.0.1:%d (found %v)", p, listening)
		}
	}
	if len(listening) != len(j.ports) {
		t.Errorf("jaeger listens on %d ports %v, want exactly the %d configured %v", len(listening), listening, len(j.ports), j.ports)
	}
}

func socketInodes(t *testing.T, pid int) map[string]bool {
	t.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(fdDir)
	if err != nil {
		t.Fatalf("list sockets of pid %d: %v", pid, err)
	}
	inodes := map[string]bool{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if ino, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	return inodes
}

type socketEntry struct {
	ip    net.IP
	port  int
	state string
	inode string
}

// readSocketTable reads /proc/net/<table>.
func readSocketTable(t *testing.T, table string) []socketEntry {
	t.Helper()
	f, err := os.Open("/proc/net/" + table)
	if err != nil {
		if os.IsNotExist(err) && strings.HasSuffix(table, "6") {
			return nil // IPv6 disabled
		}
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := parseSocketTable(f)
	if err != nil {
		t.Fatalf("/proc/net/%s: %v", table, err)
	}
	return entries
}

// parseSocketTable parses the /proc/net/{tcp,udp}[6] format: a header line,
// then "sl local_address rem_address st ... inode" with addresses as hex IP
// (each 32-bit word in host byte order, little-endian here) and hex port.
func parseSocketTable(r io.Reader) ([]socketEntry, error) {
	var out []socketEntry
	sc := bufio.NewScanner(r)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		host, portHex, ok := strings.Cut(fields[1], ":")
		raw, err := hex.DecodeString(host)
		if !ok || err != nil || (len(raw) != 4 && len(raw) != 16) {
			return nil, fmt.Errorf("bad address %q", fields[1])
		}
		for i := 0; i+4 <= len(raw); i += 4 {
			raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", fields[1])
		}
		out = append(out, socketEntry{ip: net.IP(raw), port: int(port), state: fields[3], inode: fields[9]})
	}
	return out, sc.Err()
}

type runningApp struct {
	app *app.App
	url string
}

// startChain runs A -> B -> C through app.New (the wiring main uses),
// configured from environment-style maps, exporting to otlpURL.
func startChain(t *testing.T, otlpURL string) []runningApp {
	t.Helper()
	var apps []runningApp
	next := ""
	for _, typ := range []string{"C", "B", "A"} {
		env := map[string]string{
			"SERVICE_TYPE": typ, "LISTEN_HOST": "127.0.0.1", "DRAIN_DELAY": "0s",
			"OTEL_EXPORTER_OTLP_ENDPOINT": otlpURL,
		}
		if next != "" {
			env["NEXT"] = next
		}
		cfg, err := config.FromEnv(config.MapLookup(env))
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(context.Background(), cfg, testLogWriter{t, typ})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx, server.Listeners{HTTP: ln}) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: Run: %v", typ, err)
			}
		})
		url := "http://" + ln.Addr().String()
		apps = append([]runningApp{{app: a, url: url}}, apps...)
		next = url
	}
	return apps
}

// Jaeger's /api/traces/<id> answer (the UI's JSON API).
type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	ProcessID     string `json:"processID"`
	References    []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	Tags []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
}

type jaegerProcess struct {
	ServiceName string `json:"serviceName"`
}

func (s jaegerSpan) tag(key string) string {
	for _, tg := range s.Tags {
		if tg.Key == key {
			return fmt.Sprint(tg.Value)
		}
	}
	return ""
}

func (s jaegerSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

func (tr jaegerTrace) summary() string {
	var parts []string
	for _, s := range tr.Spans {
		parts = append(parts, fmt.Sprintf("%s/%s/%s", tr.Processes[s.ProcessID].ServiceName, s.OperationName, s.tag("span.kind")))
	}
	return strings.Join(parts, ", ")
}

// waitForTrace polls the query API until the trace holds want spans.
func waitForTrace(t *testing.T, j *jaeger, traceID string, want int) jaegerTrace {
	t.Helper()
	client := loopbackClient()
	deadline := time.Now().Add(traceQueryTimeout)
	var last string
	for {
		resp, err := client.Get(j.queryURL + "/api/traces/" + traceID)
		if err == nil {
			var out struct {
				Data []jaegerTrace `json:"data"`
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%d %.300s", resp.StatusCode, body)
			if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &out) == nil && len(out.Data) == 1 {
				tr := out.Data[0]
				if tr.TraceID != traceID {
					t.Fatalf("asked for trace %s, got %s", traceID, tr.TraceID)
				}
				if len(tr.Spans) >= want {
					return tr
				}
				last = "spans so far: " + tr.summary()
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s with %d spans not in Jaeger after %s; last answer: %s", traceID, want, traceQueryTimeout, last)
		}
		time.Sleep(pollInterval)
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// loopbackClient ignores proxy variables: every request here goes to 127.0.0.1.
func loopbackClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
}

// testLogWriter sends an app's log lines to the test log.
type testLogWriter struct {
	t   *testing.T
	hop string
}

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s: %s", w.hop, bytes.TrimRight(p, "\n"))
	return len(p), nil
}

// lockedBuffer is an io.Writer safe for the concurrent writes of a child
// process's stdout and stderr copiers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
