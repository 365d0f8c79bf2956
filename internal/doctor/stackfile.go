package doctor

import (
	"fmt"
	"path/filepath"
	"strings"
)

// checkStackFile reports whether the stack's file is there and accepted
// as the next `make up` would judge it; false stops the checks that need
// its values.
func checkStackFile(r *Report, m Machine, in Input) bool {
	name := filepath.Base(in.StackFile)
	if in.LoadErr != nil {
		fix := "restore it: git checkout -- " + name
		if len(in.Stacks) > 0 {
			fix += fmt.Sprintf(", or pick a stack that has one: make doctor STACK=<%s>", strings.Join(in.Stacks, "|"))
		}
		r.add(Finding{Check: "stack file", Status: Problem, Detail: fmt.Sprintf("%s cannot be read: %v", name, in.LoadErr), Fix: fix})
		return false
	}
	if in.Validate != nil {
		if err := in.Validate(in.Values, in.Secure); err != nil {
			fix := fmt.Sprintf("change the values named above in %s, or with `pulumi config set <key> <value> -s %s` after `eval \"$(make -s env STACK=%s)\"`", name, in.Stack, in.Stack)
			if in.Kubeconfig != "" && !m.Exists(in.Kubeconfig) {
				// The sandbox's stack file points at what the sandbox
				// makes (the Istio charts of istio:chartDir, under .state/),
				// which `make up` starts before it validates.
				fix = "make sandbox first (it makes what the sandbox stack's file points at, e.g. istio:chartDir under .state/), then make doctor again; otherwise " + fix
			}
			r.add(Finding{Check: "stack file", Status: Problem,
				Detail: fmt.Sprintf("%s would be refused by `make up`:\n%v", name, err), Fix: fix})
			return true
		}
	}
	r.add(Finding{Check: "stack file", Status: OK, Detail: name + " is valid"})
	return true
}
