// Command coredns is the sandbox's cluster DNS: CoreDNS with only the
// plugins its Corefile uses (internal/sandbox/configs/corefile.go). There is no
// `forward` plugin: nothing outside the cluster is ever resolved, so the
// sandbox's network namespace never needs an upstream resolver.
package main

import (
	// Plugins register themselves in init; the Corefile may name only these.
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"

	"github.com/coredns/coredns/coremain"
)

func main() {
	coremain.Run()
}
