package configs

import (
	"fmt"
	"strings"
)

// Corefile is CoreDNS' configuration for the cluster's DNS: the
// kubernetes plugin for the cluster's zone and reverse zones, and no
// `forward` (the sandbox's build has none), so names outside the cluster
// are never sent anywhere.
type Corefile struct {
	ClusterDomain string
	// TTL is the answers' time to live, in seconds.
	TTL int
	// LogQueries logs every query, so `kubectl -n kube-system logs
	// deploy/coredns` shows the lookups the tutorial's service discovery
	// makes.
	LogQueries bool
}

// Render is the Corefile.
func (c Corefile) Render() string {
	var b strings.Builder
	b.WriteString(".:53 {\n    errors\n")
	if c.LogQueries {
		b.WriteString("    log\n")
	}
	fmt.Fprintf(&b, `    health {
        lameduck 5s
    }
    ready
    kubernetes %s in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl %d
    }
    prometheus :9153
    cache %d
    loadbalance
}
`, c.ClusterDomain, c.TTL, c.TTL)
	return b.String()
}
