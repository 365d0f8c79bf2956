package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/configset"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// secretSource is where a secret override's value comes from.
type secretSource int

const (
	// secretOnCommandLine is refused: make echoes its recipe, and every
	// user of the machine can read a process' arguments (ps, /proc).
	secretOnCommandLine secretSource = iota
	// secretFromEnv: -set-secret-env namespace:key=VARIABLE.
	secretFromEnv
	// secretFromFile: -set-secret-file namespace:key=path.
	secretFromFile
)

// secretFlag adds secret overrides to the same overrides as -set, the
// value read from where its source says, never from the command line. A
// key may be a path, as for -set: the secret then goes inside the
// stack's object (pulumi config set --secret --path).
//
// Set never returns an error: the flag package prints a refused flag's
// whole argument, which for -set-secret is the secret. It records the
// refusal, worded without the value, for parseFlags to return.
type secretFlag struct {
	sets   setFlags
	source secretSource
	errs   *[]error
}

func (f secretFlag) String() string { return "" }

func (f secretFlag) Set(arg string) error {
	if err := f.set(arg); err != nil {
		*f.errs = append(*f.errs, err)
	}
	return nil
}

var (
	// configKey is the shape of a namespace:key, or a path below one
	// (a:b.c, a:b[0], a:b["c.d"]), so a refusal names a key only when the
	// text really is one (never a secret typed in its place).
	configKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z0-9_.-]+(\[([0-9]+|"[^"]*")\][A-Za-z0-9_.-]*)*$`)
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func (f secretFlag) set(arg string) error {
	key, from, _ := strings.Cut(arg, "=")
	if f.source == secretOnCommandLine {
		how := "-set-secret-env namespace:key=VARIABLE or -set-secret-file namespace:key=path"
		if configKey.MatchString(key) {
			how = fmt.Sprintf("-set-secret-env %s=VARIABLE or -set-secret-file %s=path", key, key)
		}
		return fmt.Errorf("-set-secret: a secret's value on the command line is echoed by make and readable by every user of the machine in the process list; pass it with %s", how)
	}
	name := "-set-secret-env"
	want := "namespace:key=VARIABLE"
	if f.source == secretFromFile {
		name, want = "-set-secret-file", "namespace:key=path"
	}
	if !strings.Contains(key, ":") || from == "" {
		return fmt.Errorf("%s: want %s, got %q", name, want, arg)
	}
	if _, err := configset.ParseKey(key); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !configKey.MatchString(key) {
		return fmt.Errorf("%s: want %s, got %q", name, want, arg)
	}
	value, err := readSecret(f.source, from)
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, key, err)
	}
	f.sets[key] = auto.ConfigValue{Value: value, Secret: true}
	return nil
}

// readSecret reads a secret's value from an environment variable or a
// file. A file's last line break is not part of the value (`echo pw >
// file`); an empty value is refused, as no secret key accepts one.
func readSecret(source secretSource, from string) (string, error) {
	if source == secretFromEnv {
		if !envName.MatchString(from) {
			return "", fmt.Errorf("%q is not an environment variable name; want letters, digits and _", from)
		}
		value, ok := os.LookupEnv(from)
		if !ok {
			return "", fmt.Errorf("the environment variable %s is not set", from)
		}
		if value == "" {
			return "", fmt.Errorf("the environment variable %s is empty; want the secret's value", from)
		}
		return value, nil
	}
	raw, err := os.ReadFile(from)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("the file %s does not exist; want a file holding the secret's value", from)
	}
	if err != nil {
		return "", err
	}
	value := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
	if value == "" {
		return "", fmt.Errorf("the file %s is empty; want the secret's value", from)
	}
	return value, nil
}
