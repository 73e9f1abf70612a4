package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/web"
)

func init() {
	register(&command{
		name:  "open",
		short: "open the web UI in your browser (starting the node if it is not running)",
		long: `
Opens Caravan's web UI in the default browser, signed in. If no node is
running on the data directory, it starts one first, as 'caravan serve' would,
and keeps running it until interrupted: the flags are serve's. On first run
with no passphrase (no terminal, none in --passphrase-file or
$CARAVAN_PASSPHRASE) the node starts without an identity, and the web UI's
welcome screen makes one, with a passphrase.

The link it opens works once, for two minutes. If no browser opens, the link
is printed: open it on this machine. $CARAVAN_BROWSER, then $BROWSER, names
the program to open it with.`,
		run: runOpen,
	})
}

func runOpen(c *cli, args []string) error {
	dir, err := c.resolveDataDir()
	if err != nil {
		return err
	}
	rt, err := node.ReadRuntime(dir)
	if err == nil {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		defer cancel()
		code, err := localapi.Call(ctx, localapi.NewClient(rt.API, rt.Token), web.UICode, localapi.Empty{})
		if err == nil {
			if len(args) > 0 {
				fmt.Fprintln(c.stderr, "The node is already running; its flags are left as they are.")
			}
			c.openBrowser(code.URL)
			return nil
		}
	}
	return serve(c, "open", args, true)
}

// openBrowser opens u in a browser, or says how to open it by hand.
func (c *cli) openBrowser(u string) {
	prog := os.Getenv("CARAVAN_BROWSER")
	if prog == "" {
		prog = os.Getenv("BROWSER")
	}
	var cmd *exec.Cmd
	switch {
	case prog != "":
		f := strings.Fields(prog)
		cmd = exec.Command(f[0], append(f[1:], u)...)
	case runtime.GOOS == "darwin":
		cmd = exec.Command("open", u)
	case runtime.GOOS == "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(c.stderr, "Could not start a browser (%v).\nOpen this link on this machine (it works once, for two minutes):\n  %s\n", err, u)
		return
	}
	go cmd.Wait()
	fmt.Fprintf(c.stdout, "Opening the web UI in your browser. If it does not appear, open this link on this machine (it works once, for two minutes):\n  %s\n", u)
}
