// Package cluster is the sandbox's life: `sandbox up`, `down` and
// `status`. A sandbox is an ordered list of typed components (name,
// binary, arguments, dependencies, readiness check, stop stage; the real
// node's list and the kwok mode's, components.go) that one runner starts
// and waits for (runner.go), and one record (internal/sandbox/record)
// that `up` writes as it goes and `down` and `status` read.
//
//   - up.go: checks, the record, certificates and configuration files,
//     the network namespace and cgroups (node.go), the runner; on a
//     sandbox a complete up left running from the same key, only the
//     images (images.go);
//   - down.go, cleanup.go: stop by stage, then remove whatever the record
//     names and the namespace holds, even after a killed up;
//   - ready.go: readiness through the API (client-go: /readyz, node
//     Ready, the default ServiceAccount, CoreDNS Current by kstatus) and,
//     where no API can tell, a socket.
package cluster
