package cluster

import (
	"path/filepath"
)

// config is a file of the components' configuration directory.
func (sb *Sandbox) config(name string) string { return filepath.Join(sb.State.Config(), name) }

// kubeconfigOf is a component's kubeconfig.
func (sb *Sandbox) kubeconfigOf(component string) string { return sb.config(component + ".kubeconfig") }

// pkiFile is a file of the PKI directory.
func (sb *Sandbox) pkiFile(name string) string { return filepath.Join(sb.State.PKI(), name) }
