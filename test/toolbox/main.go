// Command toolbox is what a user would reach for inside a pod of the
// sandbox (nslookup, wget), as one static binary: the sandbox builds its
// images from this machine's files and has no busybox it can trust.
//
//	kubectl run -it --rm look --image=localhost/play-kubernetes/toolbox:sandbox -- lookup service-a.playground.svc.cluster.local
//	kubectl run -it --rm look --image=localhost/play-kubernetes/toolbox:sandbox -- get http://service-a.playground:8000/service
//
// lookup resolves with the pod's /etc/resolv.conf (Go's own resolver: the
// cluster's DNS, nothing else); get prints the body and fails on a non-2xx
// status.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: toolbox lookup <name> | toolbox get <url>")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var err error
	switch os.Args[1] {
	case "lookup":
		err = lookup(ctx, os.Args[2])
	case "get":
		err = get(ctx, os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q (want lookup or get)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "toolbox:", err)
		os.Exit(1)
	}
}

func lookup(ctx context.Context, name string) error {
	r := &net.Resolver{PreferGo: true}
	addrs, err := r.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	fmt.Printf("Name:\t%s\n", name)
	for _, a := range addrs {
		fmt.Printf("Address: %s\n", a)
	}
	return nil
}

func get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
