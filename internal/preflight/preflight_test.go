package preflight_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/clustertarget"
	"github.com/play-kubernetes/play-kubernetes/internal/preflight"
)

func TestReachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	up := clustertarget.Target{Context: "up", Server: "https://" + l.Addr().String()}
	if err := preflight.Reachable(context.Background(), up, time.Second); err != nil {
		t.Errorf("a listening API server was reported unreachable: %v", err)
	}

	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := closed.Addr().String()
	closed.Close()
	down := clustertarget.Target{Context: "minikube", Server: "https://" + addr}
	err = preflight.Reachable(context.Background(), down, time.Second)
	if err == nil {
		t.Fatal("a closed port was reported reachable")
	}
	for _, want := range []string{`"minikube"`, addr, "unreachable", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
