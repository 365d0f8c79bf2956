package main

import (
	"fmt"
	"path/filepath"
)

// render writes the stack's manifests through the provider's render mode,
// in a scratch copy of the stack (neither the stack file nor its state
// changes).
func render(inv *invocation) error {
	out := inv.opts.dir
	if out == "" {
		out = filepath.Join(inv.layout.Root, "rendered", inv.opts.stack)
	}
	res, err := inv.eng.Render(inv.ctx, inv.opts.stack, out, inv.opts.sets)
	if err != nil {
		return err
	}
	fmt.Fprint(inv.stdout, res.Summary())
	return nil
}
