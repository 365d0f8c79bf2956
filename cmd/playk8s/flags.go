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

	"github.com/play-kubernetes/play-kubernetes/internal/configset"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// options are every flag of playk8s. Each command takes -stack, -root and
// -flags and the optional ones its row lists.
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
// command does not take (it would be silently ignored otherwise). The
// words of -flags are parsed after the command line's, as if given there.
func parseFlags(c command, args []string, stderr io.Writer) (options, error) {
	o := options{sets: setFlags{}}
	var texts []string
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
	// The text is split after parsing, so that a refusal never prints it
	// whole: it may hold a -set-secret's value (see secretFlag).
	fs.Func("flags", "more flags as one argument, split at spaces outside JSON: how make passes RENDER_FLAGS and VERIFY_FLAGS", func(text string) error {
		texts = append(texts, text)
		return nil
	})
	parse := func(args []string) error {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("%s: unexpected argument %q; flags go as -name value", c.name, fs.Arg(0))
		}
		return nil
	}
	if err := parse(args); err != nil {
		return o, err
	}
	if len(texts) > 0 {
		words, err := splitFlags(texts)
		if err != nil {
			return o, err
		}
		texts = nil
		if err := parse(words); err != nil {
			return o, err
		}
		if len(texts) > 0 {
			return o, errors.New("-flags: its text holds another -flags; give those flags in the text itself")
		}
	}
	if len(o.secretErrs) > 0 {
		return o, errors.Join(o.secretErrs...)
	}
	var refused []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "stack" && f.Name != "root" && f.Name != "flags" && !slices.Contains(c.flags, f.Name) {
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

// setFlags collects repeated -set key=value flags, by key as given. A key
// may be a path, as `pulumi config set --path` takes it (configset).
type setFlags map[string]auto.ConfigValue

func (s setFlags) String() string { return fmt.Sprint(len(s), " values") }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || !strings.Contains(k, ":") {
		return fmt.Errorf("want namespace:key=value, got %q", v)
	}
	if _, err := configset.ParseKey(k); err != nil {
		return err
	}
	s[k] = auto.ConfigValue{Value: val}
	return nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
