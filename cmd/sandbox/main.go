// Command sandbox runs the local sandbox cluster (make sandbox,
// make sandbox-down, every make up on the sandbox stack):
//
//	sandbox up              start what is not running; wait for the API, the nodes and DNS
//	sandbox down            stop everything, remove what up made, delete the cluster's data
//	sandbox status          each process, the API, the nodes
//	sandbox host-snapshot   the host's network state the sandbox must never change (test/e2e)
//	sandbox forward -netns /run/netns/<name> -listen 16443=127.0.0.1:16443 \
//	    -nodeports 10.244.0.1 -kubeconfig .state/sandbox/kubeconfig
//
// up, down and status act on the sandbox of the checkout they run in
// (internal/sandbox/cluster); SANDBOX_MODE=kwok at up starts the
// simulated-pods sandbox. forward is the one process in the host's network
// namespace: it carries the host's 127.0.0.1 ports into the sandbox's
// sealed namespace (up starts it; nothing else connects the two).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/forward"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/netns"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const usage = `usage: sandbox up|down|status|host-snapshot|forward [flags]

  up              start the sandbox (SANDBOX_MODE=kwok: simulated pods); idempotent
  down            stop it and remove everything it made, also after a killed up
  status          each process, the API, the nodes
  host-snapshot   print the host's network state the sandbox must leave alone
  forward         forward 127.0.0.1 ports of the host into the sandbox's network namespace
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	// No time stamps: a user reads these lines as they come.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "up", "down", "status":
		err = runLifecycle(ctx, log, os.Args[1])
	case "host-snapshot":
		err = runHostSnapshot()
	case "forward":
		err = runForward(ctx, log, os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sandbox %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// listenFlags collects -listen port=target flags.
type listenFlags map[uint16]string

func (l listenFlags) String() string { return fmt.Sprint(map[uint16]string(l)) }

func (l listenFlags) Set(v string) error {
	port, target, ok := strings.Cut(v, "=")
	n, err := strconv.ParseUint(port, 10, 16)
	if !ok || err != nil || n == 0 || target == "" {
		return fmt.Errorf("want <host port>=<ip:port in the namespace>, got %q", v)
	}
	l[uint16(n)] = target
	return nil
}

func runForward(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("forward", flag.ExitOnError)
	nsPath := fs.String("netns", "", "the sandbox's network namespace (/run/netns/<name>)")
	listen := listenFlags{}
	fs.Var(listen, "listen", "`port=ip:port`: forward 127.0.0.1:port of the host to ip:port in the namespace (repeatable)")
	nodeIP := fs.String("nodeports", "", "mirror every NodePort of the cluster on 127.0.0.1, forwarding to this node `address`")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig for watching Services (with -nodeports); its server is dialed in the namespace")
	_ = fs.Parse(args)
	if *nsPath == "" || (len(listen) == 0 && *nodeIP == "") {
		return errors.New("want -netns and at least one -listen or -nodeports")
	}
	dialer := netns.Dialer{Path: *nsPath}
	if err := dialer.Check(); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	// Every host port is bound before anything is served, so a port in use
	// fails the start (and up says which) instead of later.
	for port, target := range listen {
		l, err := forward.ListenLoopback(port)
		if err != nil {
			return err
		}
		p := &forward.Proxy{Listener: l, Target: target, Dial: dialer.DialContext, Log: log}
		log.Info("forward", "listen", l.Addr().String(), "target", target, "netns", *nsPath)
		g.Go(func() error { return p.Serve(ctx) })
	}
	if *nodeIP != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
		if err != nil {
			return err
		}
		cfg.Dial = dialer.DialContext
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		n := &forward.NodePorts{Client: client, NodeIP: *nodeIP, Dial: dialer.DialContext, Log: log}
		g.Go(func() error { return n.Run(ctx) })
	}
	return g.Wait()
}
