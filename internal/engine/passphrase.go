package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/stackfile"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
)

// PublicPassphrase is the passphrase of stacks whose secrets protect
// nothing, published on purpose: the sandbox, a local throwaway cluster.
//
// Pulumi's passphrase provider writes an encryptionsalt into
// Pulumi.<stack>.yaml whenever the file has none, on stack creation and on
// every later run, and the salt only opens with the passphrase it was made
// with. A per-machine passphrase therefore means a per-machine salt in a
// tracked file: a fresh clone is dirty after one `make up`, and a
// committed salt breaks every other machine. With a published passphrase
// the salt is committed once, every machine opens it, and Pulumi finds
// nothing to write. Anything `pulumi config set --secret` stores on such a
// stack is readable by anyone with the repository.
const PublicPassphrase = "play-kubernetes-public"

// PassphraseSource is where a stack's passphrase comes from.
type PassphraseSource int

const (
	// PassphraseGenerated: one made once for this machine and kept in the
	// state directory (0600), so local stacks need nothing from the user.
	PassphraseGenerated PassphraseSource = iota
	// PassphraseFromUser: the user's PULUMI_CONFIG_PASSPHRASE or
	// PULUMI_CONFIG_PASSPHRASE_FILE, used as given.
	PassphraseFromUser
	// PassphrasePublic: the stack file's committed salt opens with
	// PublicPassphrase, so that one is used whatever the environment says
	// (the salt accepts no other).
	PassphrasePublic
)

func (s PassphraseSource) String() string {
	switch s {
	case PassphraseFromUser:
		return "from your PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE"
	case PassphrasePublic:
		return "the published passphrase of stacks without real secrets"
	default:
		return "generated once for this machine"
	}
}

// Passphrase is a stack's passphrase source and, unless it is the user's,
// the file that holds it (for PULUMI_CONFIG_PASSPHRASE_FILE).
type Passphrase struct {
	Source PassphraseSource
	File   string
}

// PassphraseFor finds the passphrase of the stack whose file is stackFile
// and writes the file that holds it when missing. Evidence decides, not
// the stack's name: a scratch copy of the sandbox stack, whose salt is
// dropped, uses the user's or the generated passphrase like any stack.
func (l Layout) PassphraseFor(stackFile string) (Passphrase, error) {
	salt, err := stackfile.EncryptionSalt(stackFile)
	if err != nil {
		return Passphrase{}, err
	}
	if salt != "" && SaltOpensWith(salt, PublicPassphrase) {
		file := filepath.Join(l.StateDir, "public-passphrase")
		return Passphrase{Source: PassphrasePublic, File: file}, writeOnce(file, func() (string, error) { return PublicPassphrase, nil })
	}
	if userPassphrase() {
		return Passphrase{Source: PassphraseFromUser}, nil
	}
	file := filepath.Join(l.StateDir, "passphrase")
	return Passphrase{Source: PassphraseGenerated, File: file}, writeOnce(file, generatePassphrase)
}

func generatePassphrase() (string, error) {
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(buf), nil
}

// userPassphrase reports whether the user supplies a passphrase; the CLI
// prefers PULUMI_CONFIG_PASSPHRASE, then a non-empty PULUMI_CONFIG_PASSPHRASE_FILE.
func userPassphrase() bool {
	if _, ok := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE"); ok {
		return true
	}
	return os.Getenv("PULUMI_CONFIG_PASSPHRASE_FILE") != ""
}

// cliEnv is what the CLI's environment needs for p. The public passphrase
// is set as a value: the CLI prefers PULUMI_CONFIG_PASSPHRASE over the
// file, and a user's own value in the inherited environment must not win.
func (p Passphrase) cliEnv() map[string]string {
	switch p.Source {
	case PassphrasePublic:
		return map[string]string{"PULUMI_CONFIG_PASSPHRASE": PublicPassphrase}
	case PassphraseFromUser:
		return nil
	default:
		return map[string]string{"PULUMI_CONFIG_PASSPHRASE_FILE": p.File}
	}
}

// SaltOpensWith reports whether an encryptionsalt was made with phrase.
// The salt is Pulumi's passphrase state, v1:<salt>:<"pulumi" encrypted
// with the key derived from phrase and salt>; the passphrase is right when
// that decrypts.
func SaltOpensWith(salt, phrase string) bool {
	version, rest, ok := strings.Cut(salt, ":")
	if !ok || version != "v1" {
		return false
	}
	encodedSalt, check, ok := strings.Cut(rest, ":")
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(encodedSalt)
	if err != nil {
		return false
	}
	plain, err := config.NewSymmetricCrypterFromPassphrase(phrase, raw).DecryptValue(context.Background(), check)
	return err == nil && plain == "pulumi"
}

// writeOnce creates a passphrase file (0600) unless it exists: a
// passphrase, once used, must never change under its stacks.
//
// Two first runs at once must end with one passphrase. So the file is
// never written in place: the content goes to a temporary file beside it,
// which is then linked to the final name. A link never replaces an
// existing file, so the first run to link wins; a run that loses reads
// the winner's file and uses that. No run can see the file half-written.
func writeOnce(path string, passphrase func() (string, error)) error {
	if _, err := os.Stat(path); err == nil {
		return checkPassphraseFile(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	content, err := passphrase()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("writing the passphrase file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600 already; the write and sync finish it
	// before any other run can read it under the final name.
	_, err = tmp.WriteString(content + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the passphrase file %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("writing the passphrase file %s: %w", path, err)
	}
	return checkPassphraseFile(path)
}

// checkPassphraseFile refuses an empty passphrase file (an older version
// wrote it in place, so a run killed mid-write left one): a stack made
// with the lost passphrase cannot be opened with an empty one.
func checkPassphraseFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(raw)) == "" {
		return fmt.Errorf("the passphrase file %s is empty; want the passphrase your stacks were made with: restore it from a backup, or remove the file if no stack uses it yet", path)
	}
	return nil
}
