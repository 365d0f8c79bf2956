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

// TestServesAndStopsOnSIGTERM runs the binary's main on a loopback port,
// checks it answers, sends SIGTERM and expects a clean exit with JSON logs.
func TestServesAndStopsOnSIGTERM(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := mainCommand(ctx, "SERVICE_TYPE=A", "LISTEN_HOST=127.0.0.1", fmt.Sprintf("PORT=%d", port),
		"DRAIN_DELAY=100ms", "SERVICE_A_SERVICE_HOST=192.0.2.183", "SERVICE_A_SERVICE_PORT=80")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	var body bytes.Buffer
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving on %s: %v; stderr:\n%s", url, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	const want = `{"SERVICE_TYPE":"A","SERVICE_HOST":"192.0.2.183","SERVICE_PORT":"80","DNS_NAME":"service-a.default.svc.cluster.local"}`
	if body.String() != want {
		t.Errorf("GET / = %s, want %s", body.String(), want)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10s of SIGTERM")
	}
	exited <- nil // for the deferred cleanup

	// Every log line is JSON; the drain is logged.
	var msgs []string
	sc := bufio.NewScanner(&stdout)
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
}
