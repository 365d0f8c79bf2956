package forward

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// echoServer answers each line with the same line, and after the client's
// EOF writes "bye" and closes: the half-close must reach it.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
				_, _ = c.Write([]byte("bye"))
			}()
		}
	}()
	return l.Addr().String()
}

func startProxy(t *testing.T, target string) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var d net.Dialer
	p := &Proxy{Listener: l, Target: target, Dial: d.DialContext, Log: quiet}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String()
}

func TestProxyCarriesBothDirectionsAndHalfClose(t *testing.T) {
	addr := startProxy(t, echoServer(t))
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "hello\n" {
		t.Fatalf("echo through the proxy: %q, %v", line, err)
	}
	// Close our write side only: the server sees EOF, answers, closes.
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "bye" {
		t.Fatalf("after half-close: %q, %v; want the server's last word", rest, err)
	}
}

func TestProxyClosesClientWhenTargetIsDown(t *testing.T) {
	// A port nothing listens on: reserve one and release it.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	c, err := net.Dial("tcp4", startProxy(t, dead))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read = %d, %v; want EOF once the dial fails", n, err)
	}
}

func TestListenLoopbackBindsOnly127(t *testing.T) {
	l, err := ListenLoopback(0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if ip := l.Addr().(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("listening on %s, want 127.0.0.1", ip)
	}
}

func service(name string, typ corev1.ServiceType, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.ServiceSpec{Type: typ, Ports: ports},
	}
}

func TestWantedPorts(t *testing.T) {
	tests := []struct {
		name     string
		services []*corev1.Service
		want     []uint16
	}{
		{"none", nil, nil},
		{"cluster IP has none", []*corev1.Service{service("a", corev1.ServiceTypeClusterIP, corev1.ServicePort{Port: 80})}, nil},
		{"node port and load balancer, sorted and unique", []*corev1.Service{
			service("lb", corev1.ServiceTypeLoadBalancer, corev1.ServicePort{Port: 80, NodePort: 31380}),
			service("np", corev1.ServiceTypeNodePort, corev1.ServicePort{Port: 80, NodePort: 30080}, corev1.ServicePort{Port: 81, NodePort: 31380}),
		}, []uint16{30080, 31380}},
		{"UDP is not forwarded", []*corev1.Service{service("dns", corev1.ServiceTypeNodePort,
			corev1.ServicePort{Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP},
			corev1.ServicePort{Port: 53, NodePort: 30054, Protocol: corev1.ProtocolTCP})}, []uint16{30054}},
		{"a node port not yet assigned", []*corev1.Service{service("new", corev1.ServiceTypeNodePort, corev1.ServicePort{Port: 80})}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WantedPorts(tt.services); !slices.Equal(got, tt.want) {
				t.Errorf("WantedPorts = %v, want %v", got, tt.want)
			}
		})
	}
}

// fakeListener stands in for 127.0.0.1:<nodePort>: tests cannot count
// on node ports being free on the machine running them.
type fakeListens struct {
	mu    sync.Mutex
	open  map[uint16]net.Listener
	taken map[uint16]bool
}

func (f *fakeListens) listen(port uint16) (net.Listener, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.taken[port] {
		return nil, &net.OpError{Op: "listen", Err: &net.AddrError{Err: "address already in use", Addr: strconv.Itoa(int(port))}}
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.open[port] = l
	return l, nil
}

func (f *fakeListens) addr(port uint16) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open[port].Addr().String()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNodePortsFollowServices(t *testing.T) {
	backend := echoServer(t)
	_, backendPort, _ := net.SplitHostPort(backend)
	client := fake.NewClientset(service("web", corev1.ServiceTypeNodePort, corev1.ServicePort{Port: 80, NodePort: 30080}))
	listens := &fakeListens{open: map[uint16]net.Listener{}, taken: map[uint16]bool{31999: true}}
	// Every node port reaches the echo server: the dial sees which node
	// port it was asked for.
	var dialed sync.Map
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		dialed.Store(address, true)
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+backendPort)
	}
	n := &NodePorts{Client: client, NodeIP: "10.244.0.1", Dial: dial, Log: quiet, Listen: listens.listen}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	eventually(t, "30080 mirrored", func() bool { return slices.Equal(n.Ports(), []uint16{30080}) })
	c, err := net.Dial("tcp4", listens.addr(30080))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("ping\n"))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("through the mirrored port: %q, %v", line, err)
	}
	c.Close()
	if _, ok := dialed.Load("10.244.0.1:30080"); !ok {
		t.Errorf("the mirror did not dial the node address 10.244.0.1:30080")
	}

	// A new Service with one free and one taken port: the free one is
	// mirrored, the taken one reported and skipped.
	_, err = client.CoreV1().Services("default").Create(ctx, service("gw", corev1.ServiceTypeLoadBalancer,
		corev1.ServicePort{Name: "http", Port: 80, NodePort: 31380}, corev1.ServicePort{Name: "x", Port: 81, NodePort: 31999}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "31380 mirrored", func() bool { return slices.Equal(n.Ports(), []uint16{30080, 31380}) })

	if err := client.CoreV1().Services("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "30080 closed", func() bool { return slices.Equal(n.Ports(), []uint16{31380}) })
	eventually(t, "the old listener closed", func() bool {
		c, err := net.DialTimeout("tcp4", listens.addr(30080), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
}
