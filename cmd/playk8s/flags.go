package main

import (
	"errors"
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
	// secretErrs are the refused secret overrides, reported after parsing
	// (secretFlag never fails its Set: see there).
	secretErrs []error
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
	fs.Var(secretFlag{o.sets, secretOnCommandLine, &o.secretErrs}, "set-secret", "refused: a secret's value on the command line is echoed and visible to every user; use -set-secret-env or -set-secret-file")
	fs.Var(secretFlag{o.sets, secretFromEnv, &o.secretErrs}, "set-secret-env", "override a config value as a secret read from an environment variable, namespace:key=VARIABLE (repeatable)")
	fs.Var(secretFlag{o.sets, secretFromFile, &o.secretErrs}, "set-secret-file", "override a config value as a secret read from a file, namespace:key=path (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if len(o.secretErrs) > 0 {
		return o, errors.Join(o.secretErrs...)
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

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
