package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// options are every flag of playk8s. Each command takes -stack and -root
// and the optional ones its row lists.
type options struct {
	stack   string
	root    string
	refresh bool
	dir     string
	apiOnly bool
	wait    time.Duration
	sets    setFlags
}

// parseFlags parses a command's flags, refusing an optional flag that the
// command does not take (it would be silently ignored otherwise).
func parseFlags(c command, args []string, stderr io.Writer) (options, error) {
	o := options{sets: setFlags{}}
	fs := flag.NewFlagSet("playk8s "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.stack, "stack", envOr("STACK", "dev"), "the stack (one per environment: Pulumi.<stack>.yaml)")
	fs.StringVar(&o.root, "root", ".", "the project root (the directory of Pulumi.yaml)")
	fs.BoolVar(&o.refresh, "refresh", false, "refresh the state from the cluster first, so drift shows")
	fs.StringVar(&o.dir, "dir", "", "output directory (default rendered/<stack>)")
	fs.BoolVar(&o.apiOnly, "api-only", false, "run only the API-level checks")
	fs.DurationVar(&o.wait, "wait", 2*time.Minute, "how long to wait for traces and metrics to show up")
	fs.Var(o.sets, "set", "override a config value, namespace:key=value (repeatable)")
	fs.Var(secretFlags(o.sets), "set-secret", "override a config value as a secret (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%s: unexpected argument %q; flags go as -name value", c.name, fs.Arg(0))
	}
	var refused []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "stack" && f.Name != "root" && !slices.Contains(c.flags, f.Name) {
			refused = append(refused, "-"+f.Name)
		}
	})
	if len(refused) > 0 {
		takes := "-stack, -root"
		if len(c.flags) > 0 {
			takes += ", -" + strings.Join(c.flags, ", -")
		}
		return o, fmt.Errorf("%s does not take %s; it takes %s", c.name, strings.Join(refused, ", "), takes)
	}
	return o, nil
}

// setFlags collects repeated -set key=value flags.
type setFlags map[string]auto.ConfigValue

func (s setFlags) String() string     { return fmt.Sprint(len(s), " values") }
func (s setFlags) Set(v string) error { return s.set(v, false) }

func (s setFlags) set(v string, secret bool) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !strings.Contains(k, ":") {
		return fmt.Errorf("want namespace:key=value, got %q", v)
	}
	s[k] = auto.ConfigValue{Value: val, Secret: secret}
	return nil
}

// secretFlags adds -set-secret values to the same overrides.
type secretFlags setFlags

func (s secretFlags) String() string     { return setFlags(s).String() }
func (s secretFlags) Set(v string) error { return setFlags(s).set(v, true) }

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
