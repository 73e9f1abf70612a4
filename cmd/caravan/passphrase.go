package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"github.com/caravan-mesh/caravan/localapi"
	"os"
	"strings"

	"github.com/caravan-mesh/caravan/keys"
	"golang.org/x/term"
)

// PassphraseEnv names the environment variable holding the passphrase for
// unattended use.
const PassphraseEnv = "CARAVAN_PASSPHRASE"

// passSource is where a command gets passphrases from.
type passSource struct {
	file string
	none bool // --no-passphrase
}

func addPassFlags(fs *flag.FlagSet, withNone bool) *passSource {
	ps := &passSource{}
	fs.StringVar(&ps.file, "passphrase-file", "", "read the passphrase from the first line of `FILE`")
	if withNone {
		fs.BoolVar(&ps.none, "no-passphrase", false, "store the key unencrypted (for unattended nodes: anyone who can read the data directory can use the key)")
	}
	return ps
}

// check refuses --no-passphrase together with --passphrase-file: which
// was meant is unclear, and a key is never stored in plain text by
// mistake.
func (ps *passSource) check() error {
	if ps.none && ps.file != "" {
		return usagef("--no-passphrase and --passphrase-file say opposite things; give one of them")
	}
	return nil
}

const noPassphraseWarning = `WARNING: this key is stored WITHOUT a passphrase. Anyone who can read
the data directory (a thief, a search of the device, a backup) can use
it to write as you. Set one later with 'caravan id passwd'.`

// errNoPassphrase means no source of a passphrase was available.
var errNoPassphrase = errors.New("a passphrase is needed and none was given")

func (c *cli) isTerminal() bool {
	f, ok := c.stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// passphrase gets a passphrase: from --passphrase-file, from
// CARAVAN_PASSPHRASE, or by asking on the terminal (twice when confirm).
func (c *cli) passphrase(ps *passSource, prompt string, confirm bool) (string, error) {
	if ps != nil && ps.file != "" {
		b, err := os.ReadFile(ps.file)
		if err != nil {
			return "", hint(err, "--passphrase-file must name a readable file whose first line is the passphrase")
		}
		line, _, _ := strings.Cut(string(b), "\n")
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return "", fmt.Errorf("the passphrase file %s starts with an empty line", ps.file)
		}
		return line, nil
	}
	if v := os.Getenv(PassphraseEnv); v != "" {
		return v, nil
	}
	if !c.isTerminal() {
		return "", hint(errNoPassphrase, "give it with --passphrase-file FILE or the %s environment variable, or run the command in a terminal", PassphraseEnv)
	}
	fd := int(c.stdin.(*os.File).Fd())
	for {
		fmt.Fprintf(c.stderr, "%s: ", prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		if len(p) == 0 {
			return "", errNoPassphrase
		}
		if !confirm {
			return string(p), nil
		}
		if len([]rune(string(p))) < 8 {
			fmt.Fprintln(c.stderr, "That is short: a passphrase of several words is much harder to guess.")
		}
		fmt.Fprint(c.stderr, "Type it again: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		if string(p) == string(q) {
			return string(p), nil
		}
		fmt.Fprintln(c.stderr, "The two do not match; try again.")
	}
}

// readSecret reads a secret key from a file, "-" for stdin, or the terminal.
func (c *cli) readSecret(from string) (string, error) {
	switch {
	case from != "" && from != "-":
		b, err := os.ReadFile(from)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	case from == "" && c.isTerminal():
		fmt.Fprint(c.stderr, "Paste the key (nsec1..., ncryptsec1... or hex); it will not be shown: ")
		b, err := term.ReadPassword(int(c.stdin.(*os.File).Fd()))
		fmt.Fprintln(c.stderr)
		return strings.TrimSpace(string(b)), err
	default:
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", fmt.Errorf("no key on standard input")
		}
		return strings.TrimSpace(line), nil
	}
}

// withUnlock runs f, and if it fails because the identity is locked, gets
// the passphrase, unlocks it in the node and runs f again.
func (c *cli) withUnlock(ps *passSource, as string, f func() error) error {
	err := f()
	if !errors.Is(err, keys.ErrLocked) {
		return err
	}
	p, perr := c.passphrase(ps, fmt.Sprintf("Passphrase for %s", nameOrDefault(as)), false)
	if perr != nil {
		return hint(err, "unlock it with 'caravan unlock', or give the passphrase with --passphrase-file or %s", PassphraseEnv)
	}
	cl, _ := c.api()
	if _, err := localapi.Call(c.ctx, cl, localapi.Unlock, localapi.UnlockRequest{Name: as, Passphrase: p}); err != nil {
		return err
	}
	return f()
}

func nameOrDefault(name string) string {
	if name == "" {
		return "the default identity"
	}
	return "identity " + name
}
