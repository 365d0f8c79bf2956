// Package forward carries TCP connections from the host's 127.0.0.1 into
// the sandbox's network namespace: a fixed forward for the API server, and
// a mirror of every NodePort Service, so that `curl 127.0.0.1:<nodePort>`
// works from the host as it does against a minikube node.
package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// DialFunc opens a connection to address; netns.Dialer.DialContext is
// the one used, tests pass net.Dialer's.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Proxy accepts connections on a listener and pipes each one to Target,
// dialed with Dial.
type Proxy struct {
	Listener net.Listener
	Target   string
	Dial     DialFunc
	Log      *slog.Logger
}

// ListenLoopback listens on 127.0.0.1:port: the only host address a
// forwarder ever binds (the sandbox's network safety rule).
func ListenLoopback(port uint16) (net.Listener, error) {
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
	l, err := net.Listen("tcp4", addr.String())
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

// Serve accepts until the listener is closed or ctx is done, then waits
// for the connections it opened to finish.
func (p *Proxy) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { p.Listener.Close() })
	defer stop()
	for {
		conn, err := p.Listener.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.pipe(ctx, conn)
		}()
	}
}

func (p *Proxy) pipe(ctx context.Context, client net.Conn) {
	defer client.Close()
	upstream, err := p.Dial(ctx, "tcp", p.Target)
	if err != nil {
		p.Log.Warn("forward: dial failed", "listen", p.Listener.Addr().String(), "target", p.Target, "error", err)
		return
	}
	defer upstream.Close()
	// Closing both ends when ctx ends unblocks the copies.
	stop := context.AfterFunc(ctx, func() { client.Close(); upstream.Close() })
	defer stop()
	done := make(chan struct{}, 2)
	go func() { copyHalf(upstream, client); done <- struct{}{} }()
	go func() { copyHalf(client, upstream); done <- struct{}{} }()
	<-done
	<-done
}

// copyHalf copies one direction, then half-closes the writer so the other
// side sees EOF while its own direction may still be sending (HTTP
// clients that close their write side first, port-forward streams).
func copyHalf(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	} else {
		dst.Close()
	}
}
