package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/play-kubernetes/play-kubernetes/sample-app/internal/hoprpc"
)

// The tests run the real main in a child process: the test binary re-execs
// itself with runMainEnv set.
const runMainEnv = "SAMPLE_APP_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func mainCommand(ctx context.Context, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{runMainEnv + "=1"}, env...)
	return cmd
}

func TestBadConfigExitsWithClearError(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"no service type", nil, []string{"SERVICE_TYPE is not set"}},
		{"port not a number", []string{"SERVICE_TYPE=A", "PORT=eighty"}, []string{`PORT="eighty"`}},
		{"relative next", []string{"SERVICE_TYPE=A", "NEXT=service-b:8000"}, []string{`NEXT="service-b:8000"`, "absolute http"}},
		{"unknown transport", []string{"SERVICE_TYPE=A", "TRANSPORT=quic"}, []string{`TRANSPORT="quic"`, "must be http or grpc"}},
		{"http url under grpc", []string{"SERVICE_TYPE=A", "TRANSPORT=grpc", "NEXT=http://service-b:8000"}, []string{`NEXT="http://service-b:8000"`, "gRPC target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := mainCommand(ctx, tt.env...).CombinedOutput()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
				t.Fatalf("exit: %v, want exit status 1; output:\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), "sample-app: invalid configuration") {
				t.Errorf("output does not start with the error:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// freeLoopbackPort returns a port that was free a moment ago.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runningMain is main started in a child process, its output captured.
type runningMain struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	exited         chan error
}

// startMain starts main with env; the process is killed when the test
// ends unless stop saw it exit.
func startMain(t *testing.T, env ...string) *runningMain {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	m := &runningMain{cmd: mainCommand(ctx, env...), exited: make(chan error, 1)}
	m.cmd.Stdout, m.cmd.Stderr = &m.stdout, &m.stderr
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { m.exited <- m.cmd.Wait() }()
	t.Cleanup(func() {
		_ = m.cmd.Process.Kill()
		<-m.exited
	})
	return m
}

// get polls url until main answers it, and returns the answer.
func (m *runningMain) get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := client.Get(url)
		if err == nil {
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, body.String()
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving on %s: %v; stderr:\n%s", url, err, m.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects a clean exit within 10 seconds.
func (m *runningMain) stop(t *testing.T) {
	t.Helper()
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-m.exited:
		m.exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, m.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10s of SIGTERM")
	}
}

// TestServesAndStopsOnSIGTERM runs the binary's main on loopback ports,
// checks it answers (over gRPC too with TRANSPORT=grpc), sends SIGTERM and
// expects a clean exit with JSON logs.
func TestServesAndStopsOnSIGTERM(t *testing.T) {
	const want = `{"SERVICE_TYPE":"A","SERVICE_HOST":"192.0.2.183","SERVICE_PORT":"80","DNS_NAME":"service-a.default.svc.cluster.local"}`
	tests := []struct {
		name      string
		transport string
		wantLogs  []string
	}{
		{"http", "http", nil},
		// Without a bootstrap the gRPC server is a plain one, and the
		// start log line says so.
		{"grpc", "grpc", []string{"plain insecure gRPC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, grpcPort := freeLoopbackPort(t), freeLoopbackPort(t)
			env := []string{"SERVICE_TYPE=A", "LISTEN_HOST=127.0.0.1", fmt.Sprintf("PORT=%d", port),
				"DRAIN_DELAY=100ms", "SERVICE_A_SERVICE_HOST=192.0.2.183", "SERVICE_A_SERVICE_PORT=80",
				"TRANSPORT=" + tt.transport}
			if tt.transport == "grpc" {
				env = append(env, fmt.Sprintf("GRPC_PORT=%d", grpcPort))
			}
			m := startMain(t, env...)
			if _, body := m.get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); body != want {
				t.Errorf("GET / = %s, want %s", body, want)
			}
			if tt.transport == "grpc" {
				// The end of the chain answers its identity over gRPC too.
				if got := callHopService(t, fmt.Sprintf("passthrough:///127.0.0.1:%d", grpcPort)); got != want {
					t.Errorf("Hop/Service = %s, want %s", got, want)
				}
			}
			m.stop(t)

			// Every log line is JSON; the drain is logged.
			logs := m.stdout.String()
			var msgs []string
			sc := bufio.NewScanner(strings.NewReader(logs))
			for sc.Scan() {
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Errorf("log line is not JSON: %q", sc.Text())
					continue
				}
				msgs = append(msgs, fmt.Sprint(rec["msg"]))
			}
			joined := strings.Join(msgs, " | ")
			for _, w := range []string{"serving", "shutdown requested: draining", "shutdown complete"} {
				if !strings.Contains(joined, w) {
					t.Errorf("logs lack %q: %s", w, joined)
				}
			}
			for _, w := range tt.wantLogs {
				if !strings.Contains(logs, w) {
					t.Errorf("logs lack %q:\n%s", w, logs)
				}
			}
		})
	}
}

// callHopService calls Hop/Service once over plaintext gRPC.
func callHopService(t *testing.T, target string) string {
	t.Helper()
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, err := hoprpc.CallService(ctx, conn)
	if err != nil {
		t.Fatalf("Hop/Service on %s: %v", target, err)
	}
	return string(body)
}

// TestXDSServerWaitsForItsListener runs main as Istio's grpc-agent
// injection would (an xDS bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG), with a
// control plane that cannot be reached (a closed loopback port): the gRPC
// server is the xDS one, and /readyz answers 503 because no listener came.
func TestXDSServerWaitsForItsListener(t *testing.T) {
	port, grpcPort, controlPlane := freeLoopbackPort(t), freeLoopbackPort(t), freeLoopbackPort(t)
	bootstrap := fmt.Sprintf(`{"xds_servers":[{"server_uri":"127.0.0.1:%d","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],`+
		`"node":{"id":"sidecar~127.0.0.1~a.default~default.svc.cluster.local"},`+
		`"server_listener_resource_name_template":"xds.istio.io/grpc/lds/inbound/%%s"}`, controlPlane)
	m := startMain(t, "SERVICE_TYPE=A", "LISTEN_HOST=127.0.0.1", fmt.Sprintf("PORT=%d", port),
		"TRANSPORT=grpc", fmt.Sprintf("GRPC_PORT=%d", grpcPort), "DRAIN_DELAY=0s",
		"NEXT=xds:///service-b.default.svc.cluster.local:8001", "GRPC_XDS_BOOTSTRAP_CONFIG="+bootstrap)
	if status, body := m.get(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", port)); status != http.StatusServiceUnavailable || !strings.Contains(body, "waiting for xDS") {
		t.Errorf("/readyz = %d %s, want 503 waiting for xDS", status, body)
	}
	m.stop(t)
	if logs := m.stdout.String(); !strings.Contains(logs, `"grpc_server":"xds:`) {
		t.Errorf("the serving line does not name the xDS server:\n%s", logs)
	}
}
