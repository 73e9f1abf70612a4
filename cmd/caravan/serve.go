package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/phone"
	"github.com/caravan-mesh/caravan/store"
	"github.com/caravan-mesh/caravan/web"
)

func init() {
	register(&command{
		name:  "serve",
		short: "run the node: relay endpoint for Nostr apps and other nodes, local API",
		long: `
Runs this node until interrupted. On first run it creates the data directory
and, given a passphrase, an identity. The relay endpoint (NIP-01 websocket and
NIP-11) listens on 127.0.0.1:7447 unless --listen says otherwise; use --listen
0.0.0.0:7447 to let phones and laptops on the same network use it. The local
API, for the other caravan commands and the web UI, always stays on this
machine.

The passphrase is asked for in a terminal, or read from --passphrase-file or
$CARAVAN_PASSPHRASE. Without one the node still runs and carries events:
 - on first run it starts with no identity; create one, with a passphrase,
   in the web UI ('caravan open') or with 'caravan id new NAME';
 - later it starts locked; posting waits for 'caravan unlock'.
A key is stored unencrypted only with --no-passphrase.`,
		run: runServe,
	})
}

func runServe(c *cli, args []string) error { return serve(c, "serve", args, false) }

// serve runs the node; with openUI it also opens the web UI in a browser
// once the node is ready.
func serve(c *cli, name string, args []string, openUI bool) error {
	cmd := lookup(name)
	fs := c.flags(cmd)
	listen := fs.String("listen", "", "relay endpoint `ADDR`ess (default from config.json, else "+node.DefaultListen+")")
	apiAddr := fs.String("api", "", "local API `ADDR`ess, loopback only (default from config.json, else "+node.DefaultAPI+")")
	noLAN := fs.Bool("no-lan", false, "do not announce this node or look for others on the local network (mDNS)")
	proxy := fs.String("proxy", "", "SOCKS5 proxy `URL` for links to peers and relays (socks5://127.0.0.1:9050 for Tor)")
	ps := addPassFlags(fs, true)
	args, err := c.args(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	if err := ps.check(); err != nil {
		return err
	}
	dir, err := c.resolveDataDir()
	if err != nil {
		return err
	}
	logger := log.New(c.stderr, "caravan: ", log.LstdFlags)
	n, err := openForServe(c.ctx, dir, node.Options{Logf: logger.Printf})
	if errors.Is(err, node.ErrBusy) {
		return hint(err, "another 'caravan serve' is already running on this data directory; stop it, or use --data for a second node")
	}
	if err != nil {
		return cannotStart(err)
	}
	defer n.Close()
	// The mesh: sync sessions, the peers kept in sync while serving, and
	// LAN discovery.
	if _, err := mesh.New(n); err != nil {
		return err
	}
	// The phone page on the relay port, when config.json's phone_page is
	// on; otherwise "/" says how to turn it on.
	phone.New(n)
	if *listen == "" {
		*listen = n.Config.Listen
	}
	if *apiAddr == "" {
		*apiAddr = n.Config.API
	}
	if *proxy != "" {
		n.Config.Proxy = *proxy
	}
	if err := checkLoopback(*apiAddr); err != nil {
		return err
	}

	id, err := c.firstIdentity(n, ps)
	if err != nil && !errors.Is(err, keys.ErrNoIdentity) {
		return cannotStart(err)
	}

	relayLn, err := net.Listen("tcp", *listen)
	if err != nil {
		return hint(err, "is another program using that port? choose another with --listen ADDR")
	}
	defer relayLn.Close()
	apiLn, err := net.Listen("tcp", *apiAddr)
	if err != nil {
		return hint(err, "is another node using that port? choose another with --api 127.0.0.1:PORT")
	}
	defer apiLn.Close()

	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	token := hex.EncodeToString(b)
	ui := web.New(localapi.NewHandler(n, token), token, n)
	return cannotStart(n.Serve(c.ctx, node.ServeOptions{
		Relay:      relayLn,
		API:        apiLn,
		APIHandler: ui,
		Token:      token,
		NoLAN:      *noLAN,
		Ready: func(rt node.Runtime) {
			fmt.Fprintf(c.stdout, "Caravan node %s is running.\n", node.VersionString())
			fmt.Fprintf(c.stdout, "  data directory: %s\n", dir)
			fmt.Fprintf(c.stdout, "  identity:       %s\n", identityLine(id))
			fmt.Fprintf(c.stdout, "  relay for Nostr apps and other nodes: listening on %s\n", rt.Relay)
			fmt.Fprintf(c.stdout, "  local API for caravan commands:       listening on %s\n", rt.API)
			fmt.Fprintf(c.stdout, "  web UI (this machine only):           %s/  ('caravan open' signs you in)\n", rt.API)
			fmt.Fprintf(c.stdout, "Press Ctrl-C to stop.\n")
			if openUI {
				c.openBrowser(rt.API + "/#code=" + ui.MintCode())
			}
		},
	}))
}

// startHint is the advice when the node cannot start for a full disk.
const startHint = "free space on that disk, or keep this node's data on another disk with --data DIR; everything stored before is kept"

// cannotStart is err, with what to do when it is a full disk: at start,
// the node writes to its data directory before it serves.
func cannotStart(err error) error {
	var full *store.DiskFullError
	if errors.As(err, &full) {
		return hint(err, startHint)
	}
	return err
}

// identityLine says which identity the node signs with, and whether it
// can.
func identityLine(id keys.Identity) string {
	switch {
	case id.Name == "":
		return "none yet - create one in the web UI ('caravan open') or with 'caravan id new NAME'"
	case !id.Unlocked:
		return fmt.Sprintf("%s (%s) - locked: run 'caravan unlock' to post", id.Name, id.NPub)
	}
	return fmt.Sprintf("%s (%s)", id.Name, id.NPub)
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--api %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--api %q: the local API must stay on this machine (use 127.0.0.1:PORT)", addr)
	}
	return nil
}

// firstIdentity tries to unlock the default identity. On first run it
// creates one, if it is given a passphrase (or --no-passphrase); with
// neither it returns keys.ErrNoIdentity, and the node starts without one:
// a key is never stored in plain text unless that was asked for.
func (c *cli) firstIdentity(n *node.Node, ps *passSource) (keys.Identity, error) {
	id, err := n.Identity("")
	if errors.Is(err, keys.ErrNoIdentity) {
		return c.createFirst(n, ps)
	}
	if err != nil || id.Unlocked {
		return id, err
	}
	p, err := c.passphrase(ps, fmt.Sprintf("Passphrase for identity %s (Enter to start locked)", id.Name), false)
	if err != nil {
		if errors.Is(err, errNoPassphrase) {
			return id, nil
		}
		return id, err
	}
	for {
		unlocked, err := n.Unlock(id.Name, p)
		if err == nil {
			return unlocked, nil
		}
		if !errors.Is(err, keys.ErrBadPassphrase) || ps.file != "" || !c.isTerminal() {
			return id, err
		}
		fmt.Fprintln(c.stderr, "Wrong passphrase.")
		if p, err = c.passphrase(ps, "Passphrase (Enter to start locked)", false); err != nil {
			return id, nil
		}
	}
}

// noFirstIdentity is what serve says when it starts without an identity.
const noFirstIdentity = `No passphrase was given, so no identity was created: a key is stored
unencrypted only with --no-passphrase. The node runs and carries events;
to write, create an identity with a passphrase in the web UI ('caravan
open') or with 'caravan id new NAME'.`

func (c *cli) createFirst(n *node.Node, ps *passSource) (keys.Identity, error) {
	const intro = "This is the first run: creating your identity, a key that signs what you write."
	prompt := !ps.none && ps.file == "" && os.Getenv(PassphraseEnv) == "" && c.isTerminal()
	if prompt {
		fmt.Fprintln(c.stderr, intro)
		fmt.Fprintln(c.stderr, "Choose a passphrase to protect it on this device. It cannot be recovered if lost.")
		fmt.Fprintln(c.stderr, "(Enter on its own starts the node without an identity.)")
	}
	var p string
	if !ps.none {
		var err error
		p, err = c.passphrase(ps, "New passphrase", true)
		if errors.Is(err, errNoPassphrase) {
			fmt.Fprintln(c.stderr, noFirstIdentity)
			return keys.Identity{}, keys.ErrNoIdentity
		}
		if err != nil {
			return keys.Identity{}, err
		}
	}
	if !prompt {
		fmt.Fprintln(c.stderr, intro)
	}
	id, err := n.NewIdentity("me", p, ps.none)
	if err != nil {
		return id, err
	}
	if ps.none {
		fmt.Fprintln(c.stderr, noPassphraseWarning)
	}
	fmt.Fprintf(c.stderr, "Created identity %q: %s\n", id.Name, id.NPub)
	return id, nil
}

// busyWait is how long serve waits for a short command (post, status, a
// sync) to let go of the data directory before giving up.
const busyWait = 15 * time.Second

// openForServe opens the data directory for serving. Another command may
// hold it for a moment (a script that starts serve and at once asks for
// status); serve waits for it. A running serve that answers on its local API
// is reported at once.
func openForServe(ctx context.Context, dir string, opts node.Options) (*node.Node, error) {
	deadline := time.Now().Add(busyWait)
	for {
		n, err := node.Open(dir, opts)
		if !errors.Is(err, node.ErrBusy) || time.Now().After(deadline) || serving(ctx, dir) {
			return n, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// serving reports whether a caravan serve answers on dir's local API.
func serving(ctx context.Context, dir string) bool {
	rt, err := node.ReadRuntime(dir)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = localapi.Call(ctx, localapi.NewClient(rt.API, rt.Token), localapi.Status, localapi.Empty{})
	return err == nil
}
