package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"golang.org/x/term"
)

func init() {
	register(&command{name: "sync", args: "[ws://host:port | --stdio | --exec CMD]", short: "sync once with another node, a relay, or over any byte pipe", run: runSync, long: `
Reconciles this node's events with a peer's (NIP-77) and transfers what each
lacks and is willing to carry, most valuable first: your own events, private
messages for your contacts, reports, then the rest, newest first.

  caravan sync ws://192.168.1.20:7447      another Caravan node (or any NIP-77 relay)
  caravan sync --relay wss://relay.example  a public relay: only your own events go out
  caravan sync --stdio                      speak over stdin/stdout; run the same on the
                                            other end of any pipe (ssh, socat, a serial line)
  caravan sync --exec "ssh host caravan sync --stdio"
                                            start the other end and talk to it

Progress goes to the terminal (standard error); --json prints one progress
object per line on standard output instead. With --stdio, standard output
carries the protocol and nothing else.`})
}

func runSync(c *cli, args []string) error {
	cmd := lookup("sync")
	fs := c.flags(cmd)
	stdio := fs.Bool("stdio", false, "sync over standard input and output")
	execCmd := fs.String("exec", "", "start `CMD` and sync over its standard input and output")
	relay := fs.Bool("relay", false, "the peer is a public Nostr relay, not a Caravan node")
	proxy := fs.String("proxy", "", "SOCKS5 `URL` for this connection (socks5://127.0.0.1:9050 for Tor); \"direct\" for none")
	asJSON := fs.Bool("json", false, "print progress as JSON lines on standard output")
	args, err := c.args(cmd, fs, args, 0, 1)
	if err != nil {
		return err
	}
	modes := 0
	for _, on := range []bool{*stdio, *execCmd != "", len(args) == 1} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return usagef("sync needs exactly one of: a ws:// address, --stdio, --exec CMD")
	}
	if *stdio && *asJSON {
		return usagef("--json prints on standard output, which --stdio uses for the protocol")
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	show := c.progressPrinter(*asJSON)
	if len(args) == 1 {
		u, err := node.CheckPeerURL(args[0])
		if err != nil {
			return usagef("%v", err)
		}
		p, err := cl.Sync(c.ctx, localapi.SyncRequest{URL: u, Relay: *relay, Proxy: *proxy}, show)
		c.summary(u, p, err)
		return err
	}

	// A byte stream: our stdio, or a child process's.
	var conn link.Conn
	var child *exec.Cmd
	if *stdio {
		conn = link.Stream(os.Stdin, os.Stdout, closers{os.Stdout, os.Stdin}, 4<<20, "stdio")
	} else {
		child = shell(*execCmd)
		child.Stderr = c.stderr
		in, err := child.StdoutPipe()
		if err != nil {
			return err
		}
		out, err := child.StdinPipe()
		if err != nil {
			return err
		}
		if err := child.Start(); err != nil {
			return hint(err, "--exec runs its command with the system shell")
		}
		conn = link.Stream(in, out, closers{out, in}, 4<<20, *execCmd)
		defer child.Wait()
	}
	var (
		p         carry.Progress
		initiated bool
	)
	if cl.Node != nil {
		// No node running: this process is the node.
		var m *mesh.Service
		if m, err = mesh.New(cl.Node); err == nil {
			p, initiated, err = m.SyncStream(c.ctx, conn, mesh.SyncOptions{Progress: show})
		}
	} else {
		// A node is running: carry the stream to it.
		err = pumpToNode(c.ctx, cl, conn)
	}
	conn.Close("")
	if child != nil {
		child.Wait()
	}
	switch {
	case cl.Node == nil:
	case initiated:
		c.summary("the other end", p, err)
	case err == nil:
		fmt.Fprintf(c.stderr, "Served a sync for the other end: %s in, %s out.\n", humanBytes(p.BytesIn), humanBytes(p.BytesOut))
	}
	return err
}

// pumpToNode carries messages between a byte stream and the running
// node's link endpoint until either side ends.
func pumpToNode(ctx context.Context, cl *localapi.Client, stream link.Conn) error {
	nodeConn, err := cl.Link(ctx)
	if err != nil {
		return err
	}
	defer nodeConn.Close("")
	errc := make(chan error, 2)
	pump := func(from, to link.Conn) {
		for {
			b, err := from.Read(ctx)
			if errors.Is(err, link.ErrTooBig) {
				continue
			}
			if err != nil {
				errc <- err
				return
			}
			if err := to.Write(ctx, b); err != nil {
				errc <- err
				return
			}
		}
	}
	go pump(stream, nodeConn)
	go pump(nodeConn, stream)
	<-errc // either end finished; the node reports the session in its log and status
	return nil
}

// closers closes several things: a stream link's write end (so the other
// side sees the end) and its read end.
type closers []io.Closer

func (cs closers) Close() error {
	var err error
	for _, c := range cs {
		err = errors.Join(err, c.Close())
	}
	return err
}

func shell(command string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		return exec.Command("cmd", "/c", command)
	}
	return exec.Command("/bin/sh", "-c", command)
}

// progressPrinter shows progress: JSON lines on stdout, or one updating
// line on a terminal's standard error.
func (c *cli) progressPrinter(asJSON bool) func(carry.Progress) {
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		return func(p carry.Progress) { enc.Encode(p) }
	}
	f, ok := c.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(p carry.Progress) {
		if p.Phase == "done" {
			fmt.Fprint(c.stderr, "\r\033[K")
			return
		}
		line := fmt.Sprintf("%s %s  ↓ %d events %s  ↑ %d events %s  %s/s",
			p.Phase, p.Class, p.Received, humanBytes(p.BytesIn), p.Sent, humanBytes(p.BytesOut),
			humanBytes(int64(p.RateIn+p.RateOut)))
		if left := p.Remaining(); left >= 0 {
			line += fmt.Sprintf("  about %s left", (time.Duration(left) * time.Second).Round(time.Second))
		}
		fmt.Fprintf(c.stderr, "\r\033[K%s", line)
	}
}

// summary says what a sync did, on standard error. A sync that did not
// finish says so, and counts what it stored before it ended (the error
// follows on its own line); one whose end was never reported (the node
// stopped) gets no summary: its counts would be stale.
func (c *cli) summary(peer string, p carry.Progress, err error) {
	if p.Started.IsZero() || p.Phase != "done" {
		return
	}
	took := time.Since(p.Started).Round(10 * time.Millisecond)
	if err != nil || p.Error != "" || p.Incomplete {
		fmt.Fprintf(c.stderr, "The sync with %s stopped after %s", peer, took)
	} else {
		fmt.Fprintf(c.stderr, "Synced with %s in %s", peer, took)
	}
	fmt.Fprintf(c.stderr, ": received %d %s, sent %d", p.Received, plural(p.Received, "event", "events"), p.Sent)
	if p.Refused > 0 {
		fmt.Fprintf(c.stderr, " (%d refused by the peer's policy)", p.Refused)
	}
	fmt.Fprintf(c.stderr, "; %s in, %s out", humanBytes(p.BytesIn), humanBytes(p.BytesOut))
	if p.NIP77 && p.Rounds > 0 {
		fmt.Fprintf(c.stderr, ", %d round trips", p.Rounds)
	} else if !p.NIP77 {
		fmt.Fprintf(c.stderr, " (the peer has no NIP-77: plain REQ/EVENT)")
	}
	fmt.Fprintln(c.stderr, ".")
	if p.Incomplete {
		fmt.Fprintf(c.stderr, "Not everything was transferred (%d to receive, %d to send); the next sync continues where this one stopped.\n", p.ToReceive, p.ToSend)
	}
}
