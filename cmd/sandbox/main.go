// Command sandbox is the Go half of hack/sandbox.sh, the parts a shell
// script should not do itself:
//
//	sandbox image -spec hack/sandbox/images/nginx.json -o nginx.tar
//	sandbox forward -netns /run/netns/<name> -listen 16443=127.0.0.1:16443 \
//	    -nodeports 10.244.0.1 -kubeconfig .state/sandbox/kubeconfig
//
// image builds an image tarball for `ctr images import` (nothing can be
// pulled here); forward carries the host's 127.0.0.1 ports into the
// sandbox's sealed network namespace (nothing else connects the two).
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
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/image"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/netns"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const usage = `usage: sandbox <image|forward> [flags]

  image     build an image tarball from a spec (hack/sandbox/images/*.json)
  forward   forward 127.0.0.1 ports of the host into the sandbox's network namespace
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "image":
		err = runImage(os.Args[2:])
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

func runImage(args []string) error {
	fs := flag.NewFlagSet("image", flag.ExitOnError)
	spec := fs.String("spec", "", "image spec (JSON); ${VAR} expands from the environment")
	out := fs.String("o", "", "tarball to write")
	_ = fs.Parse(args)
	if *spec == "" || *out == "" {
		return errors.New("want -spec and -o")
	}
	s, err := image.Load(*spec, os.LookupEnv)
	if err != nil {
		return err
	}
	// out.key and out.digest record the last build: the same inputs are
	// not packed again.
	key, err := s.InputKey()
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(*out + ".key"); err == nil && string(old) == key {
		if digest, err := os.ReadFile(*out + ".digest"); err == nil {
			if _, err := os.Stat(*out); err == nil {
				fmt.Print(string(digest))
				return nil
			}
		}
	}
	digest, err := s.WriteTarball(*out)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s\n", digest, strings.Join(s.Refs, " "))
	if err := os.WriteFile(*out+".digest", []byte(line), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(*out+".key", []byte(key), 0o644); err != nil {
		return err
	}
	fmt.Print(line)
	return nil
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
	// fails the start (and hack/sandbox.sh says which) instead of later.
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
