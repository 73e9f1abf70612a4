// Command caravan is a Caravan node and its command-line client.
//
// Every command other than serve talks to the node's local API: to the
// running `caravan serve` when there is one, otherwise to the data directory
// opened in this process. Exit codes: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand. run gets the arguments after its name.
type command struct {
	name  string
	args  string // usage of the positional arguments, e.g. "TEXT"
	short string
	long  string
	run   func(c *cli, args []string) error
	group string // subcommands of "id" and similar are grouped for help
}

var commands []*command

func register(cmd *command) { commands = append(commands, cmd) }

// lookup finds a top-level command ("id import" and "import" differ).
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name && c.group == "" {
			return c
		}
	}
	return nil
}

// cli carries what commands share: streams, environment, global flags.
type cli struct {
	ctx     context.Context
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	dataDir string
	client  *localapi.Client
}

// usageError is a mistake in how the command was called: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// hinted is an error with advice for the user.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

func hint(err error, format string, args ...any) error {
	h := fmt.Sprintf(format, args...)
	var inner *hinted
	if errors.As(err, &inner) {
		return &hinted{err: inner.err, hint: inner.hint + "; " + h}
	}
	return &hinted{err: err, hint: h}
}

// Main runs the program with the given arguments and returns its exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	err := c.main(args)
	if c.client != nil {
		c.client.Close()
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "caravan: usage error: %s\n", ue.msg)
		return 2
	}
	fmt.Fprintf(stderr, "caravan: error: %s\n", err)
	if h := hintFor(err); h != "" {
		fmt.Fprintf(stderr, "caravan: hint: %s\n", h)
	}
	return 1
}

func (c *cli) main(args []string) error {
	// Global flags may come before the command name.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
			c.printUsage(c.stdout)
			return nil
		case args[0] == "--version" || args[0] == "-version":
			fmt.Fprintf(c.stdout, "caravan %s\n", node.VersionString())
			return nil
		case args[0] == "--data" || args[0] == "-data":
			if len(args) < 2 {
				return usagef("--data needs a directory")
			}
			c.dataDir = args[1]
			args = args[2:]
		case strings.HasPrefix(args[0], "--data="):
			c.dataDir = strings.TrimPrefix(args[0], "--data=")
			args = args[1:]
		default:
			return usagef("unknown flag %s before the command; run 'caravan --help'", args[0])
		}
	}
	if len(args) == 0 {
		c.printUsage(c.stderr)
		return usagef("no command given")
	}
	cmd := lookup(args[0])
	if cmd == nil {
		return usagef("unknown command %q; run 'caravan --help' for the list", args[0])
	}
	return cmd.run(c, args[1:])
}

func (c *cli) printUsage(w io.Writer) {
	fmt.Fprintf(w, `Caravan carries signed messages between people when the internet is cut.
Each copy is a full node: it stores messages, carries them for others and
passes them on at every encounter.

Usage: caravan [--data DIR] COMMAND [flags] [arguments]

Commands:
`)
	var names []string
	for _, cmd := range commands {
		if cmd.group == "" {
			names = append(names, cmd.name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, lookup(n).short)
	}
	fmt.Fprintf(w, `
Global flags:
  --data DIR   data directory (default: $%s, else %s)
  --version    print the version

Run 'caravan COMMAND --help' for a command's flags.
`, node.DataDirEnv, defaultDirText())
}

func defaultDirText() string {
	d, err := node.DefaultDataDir()
	if err != nil {
		return "a per-user directory"
	}
	return d
}

// flags starts a flag set for cmd with the flags every command has.
func (c *cli) flags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dataDir, "data", c.dataDir, "data directory")
	fs.Usage = func() {}
	return fs
}

// parse parses flags and positional arguments in any order.
func (c *cli) parse(cmd *command, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.commandHelp(cmd, fs)
				return nil, flag.ErrHelp
			}
			return nil, usagef("%s: %v; run 'caravan %s --help'", cmd.name, err, fullName(cmd))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func fullName(cmd *command) string {
	if cmd.group != "" {
		return cmd.group + " " + cmd.name
	}
	return cmd.name
}

func (c *cli) commandHelp(cmd *command, fs *flag.FlagSet) {
	w := c.stdout
	fmt.Fprintf(w, "Usage: caravan %s [flags] %s\n\n%s\n", fullName(cmd), cmd.args, cmd.short)
	if cmd.long != "" {
		// Trim blank lines only: a help text may start indented.
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(strings.TrimLeft(cmd.long, "\n"), " \t\n"))
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		arg := "--" + f.Name
		if name != "" {
			arg += " " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  %-24s %s%s\n", arg, usage, def)
	})
}

// resolveDataDir settles the data directory from --data, CARAVAN_DATA or
// the platform default.
func (c *cli) resolveDataDir() (string, error) {
	if c.dataDir != "" {
		return c.dataDir, nil
	}
	d, err := node.DefaultDataDir()
	if err != nil {
		return "", hint(err, "pass --data DIR")
	}
	c.dataDir = d
	return d, nil
}

// api connects to the node for this data directory (see localapi.Dial).
func (c *cli) api() (*localapi.Client, error) {
	if c.client != nil {
		return c.client, nil
	}
	dir, err := c.resolveDataDir()
	if err != nil {
		return nil, err
	}
	cl, err := localapi.Dial(c.ctx, dir, localapi.DialOptions{})
	if err != nil {
		return nil, err
	}
	c.client = cl
	return cl, nil
}

// args parses flags and positional arguments (see parse) and checks that
// there are min to max positional ones (max -1: no limit).
func (c *cli) args(cmd *command, fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	args, err := c.parse(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	return args, exactArgs(cmd, args, min, max)
}

// connect is args followed by api.
func (c *cli) connect(cmd *command, fs *flag.FlagSet, args []string, min, max int) ([]string, *localapi.Client, error) {
	args, err := c.args(cmd, fs, args, min, max)
	if err != nil {
		return nil, nil, err
	}
	cl, err := c.api()
	return args, cl, err
}

// optArg is the optional single positional argument, or "".
func optArg(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return ""
}

// exactArgs checks the number of positional arguments.
func exactArgs(cmd *command, args []string, min, max int) error {
	if len(args) < min {
		return usagef("%s needs %s; run 'caravan %s --help'", fullName(cmd), cmd.args, fullName(cmd))
	}
	if max >= 0 && len(args) > max {
		return usagef("%s: unexpected argument %q; run 'caravan %s --help'", fullName(cmd), args[max], fullName(cmd))
	}
	return nil
}
