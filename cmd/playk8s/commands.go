package main

import (
	"fmt"
	"strings"
)

// command is one verb of playk8s: what it needs before it runs, and what
// it runs. Its steps (steps.go) follow from these properties, in one order
// for every command, as kind's create actions do.
type command struct {
	name    string
	summary string
	// flags are the optional flags it takes besides -stack and -root.
	flags []string
	// engine: it drives the offline engine, so the pinned tools must be built.
	engine bool
	// validate is how far the stack file is checked before anything runs.
	validate validation
	// cluster: it talks to the stack's cluster, which must answer and
	// accept the credentials before anything runs.
	cluster bool
	// namespaces is what it does to namespaces, asked of the API server in
	// preflight; "" for commands that only read.
	namespaces string
	// stack: it works on the stack's state (selected, or created when new).
	stack bool
	// recovers: what a killed run left behind (a stale lock, Helm releases
	// stuck pending) is repaired first.
	recovers bool
	// run is the command itself, after its steps.
	run func(*invocation) error
}

// validation is how far a command checks the stack file.
type validation int

const (
	noValidation validation = iota
	// validateConfig: every key and value, for commands that only read
	// the stack's state and load no provider plugin.
	validateConfig
	// validateForProgram: also the provider plugins the program will
	// load, for commands that run it.
	validateForProgram
)

// commands is every verb, in the order usage lists them.
var commands = []command{
	{name: "preview", summary: "show what up would change (the diff); -refresh reads the cluster first, so drift shows",
		flags: []string{"refresh"}, engine: true, validate: validateForProgram, cluster: true, stack: true, run: preview},
	{name: "up", summary: "create or update the stack",
		flags: []string{"refresh"}, engine: true, validate: validateForProgram, cluster: true, namespaces: "create", stack: true, recovers: true, run: up},
	{name: "destroy", summary: "delete everything the stack created",
		engine: true, validate: validateForProgram, cluster: true, namespaces: "delete", stack: true, recovers: true, run: destroy},
	{name: "refresh", summary: "read the cluster's state into the stack's state",
		engine: true, validate: validateForProgram, cluster: true, stack: true, recovers: true, run: refresh},
	{name: "render", summary: "write the stack as plain manifests, no cluster needed",
		flags: []string{"dir", "set", "set-secret-env", "set-secret-file"}, engine: true, validate: validateForProgram, run: render},
	{name: "verify", summary: "check the deployed stack: workloads, routing, traffic, traces, metrics",
		flags: []string{"api-only", "wait"}, engine: true, validate: validateConfig, cluster: true, stack: true, run: verifyStack},
	{name: "env", summary: "print shell exports for the pinned pulumi and kubectl on this stack: eval \"$(make -s env STACK=sandbox)\"",
		engine: true, run: printEnv},
	{name: "doctor", summary: "what is built or missing, which cluster the next up touches, and the command that fixes each problem",
		run: runDoctor},
}

// lookup finds a command by name; an unknown one is refused with the
// names that are accepted.
func lookup(name string) (command, error) {
	for _, c := range commands {
		if c.name == name {
			return c, nil
		}
	}
	return command{}, fmt.Errorf("unknown command %q; want one of %s", name, strings.Join(commandNames(), ", "))
}

func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}

// usage lists the commands from the table.
func usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: playk8s <%s> [-stack name] [-root dir] [-flags 'more flags'] [flags]\n\n", strings.Join(commandNames(), "|"))
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
		if len(c.flags) > 0 {
			fmt.Fprintf(&b, "  %-8s flags: -%s\n", "", strings.Join(c.flags, ", -"))
		}
	}
	return b.String()
}
