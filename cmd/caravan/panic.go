package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/caravan-mesh/caravan/localapi"
)

func init() {
	register(&command{name: "panic", short: "erase every key and all private data at once (cannot be undone)", run: runPanic, long: `
Erases every identity's secret key and all private data: messages,
contacts, groups, drafts. Public reports and the events this node carries
for others stay, and the node goes on carrying them; it could never read
what it carries for others. Nothing erased can be brought back.

In a terminal it asks you to type "erase". In a script, pass --yes.`})
}

func runPanic(c *cli, args []string) error {
	cmd := lookup("panic")
	fs := c.flags(cmd)
	yes := fs.Bool("yes", false, "do not ask: erase at once")
	args, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	if !*yes {
		if !c.isTerminal() {
			return usagef("panic erases every key and all private messages: pass --yes to do it without a terminal")
		}
		fmt.Fprint(c.stderr, "This erases every key and all private messages on this device, for good.\nType erase to go on: ")
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if strings.TrimSpace(line) != "erase" {
			fmt.Fprintln(c.stderr, "Nothing was erased.")
			return nil
		}
	}
	res, err := localapi.Call(c.ctx, cl, localapi.Panic, localapi.PanicRequest{Confirm: "erase"})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Erased: identities %d, private records %d (in %d ms).\n", res.Identities, res.Private, res.Millis)
	fmt.Fprintln(c.stdout, "The node still carries others' events. Make a new identity with 'caravan id new NAME' if you need one.")
	return nil
}
