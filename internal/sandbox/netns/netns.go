// Package netns runs work inside another network namespace: dials
// (Dialer) and anything else a thread does there (Do: forking the
// sandbox's daemons, setting its namespaced sysctls).
//
// The sandbox cluster lives in a network namespace of its own, with no
// interface or route to the host's. The host reaches it only through
// forwarders that listen on the host's 127.0.0.1 and dial inside that
// namespace: Dialer is that dial.
//
// A thread's network namespace decides where the sockets it creates live
// (a socket stays in its namespace for good once created) and where the
// processes it forks start. So each piece of work runs on a goroutine
// locked to its own OS thread, which enters the namespace, does the work,
// and exits without unlocking: the Go runtime then terminates the thread
// instead of reusing it, so no other goroutine ever runs in the sandbox's
// namespace by accident (the pattern of containernetworking's ns package,
// without the restore step that can fail).
package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Dialer dials TCP addresses inside the network namespace at Path
// (a file like /run/netns/<name>, as `ip netns add` makes).
type Dialer struct {
	Path string
}

// Check opens the namespace once, so a wrong path fails at start-up
// rather than on the first connection.
func (d Dialer) Check() error {
	f, err := os.Open(d.Path)
	if err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("network namespace %s: %w", d.Path, err)
	}
	// An `ip netns` file is a bind mount of an nsfs inode.
	if st.Type != unix.NSFS_MAGIC {
		return fmt.Errorf("network namespace %s: not a namespace file (filesystem type %#x)", d.Path, st.Type)
	}
	return nil
}

type dialResult struct {
	conn net.Conn
	err  error
}

// DialContext connects to address (host:port, an IP literal: nothing is
// resolved) from inside the namespace. Its signature fits
// net/http.Transport.DialContext and client-go's rest.Config.Dial.
func (d Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	done := make(chan dialResult, 1)
	go func() {
		// Never unlocked: the thread dies with this goroutine (see the
		// package comment).
		runtime.LockOSThread()
		conn, err := d.dialHere(ctx, network, address)
		done <- dialResult{conn, err}
	}()
	select {
	case r := <-done:
		return r.conn, r.err
	case <-ctx.Done():
		// The dial sees the same context and gives up too; close what it
		// may still return.
		go func() {
			if r := <-done; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// dialHere runs on a locked thread: it moves the thread into the
// namespace and dials.
func (d Dialer) dialHere(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if net.ParseIP(host) == nil {
		// A name would be looked up by the host's resolver, outside the
		// sandbox; the sandbox's forwarders only ever dial addresses.
		return nil, fmt.Errorf("dial %s in %s: want an IP address, not a name", address, d.Path)
	}
	f, err := os.Open(d.Path)
	if err != nil {
		return nil, fmt.Errorf("network namespace: %w", err)
	}
	defer f.Close()
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("enter network namespace %s: %w", d.Path, err)
	}
	var dialer net.Dialer
	return dialer.DialContext(ctx, network, address)
}
