package main

import (
	"fmt"

	"github.com/caravan-mesh/caravan/localapi"
)

func init() {
	register(&command{name: "unlock", args: "[NAME]", short: "unlock an identity in the running node so it can sign", run: runUnlock})
	register(&command{name: "lock", short: "make the node forget every decrypted key", run: runLock})
}

func runUnlock(c *cli, args []string) error {
	cmd := lookup("unlock")
	fs := c.flags(cmd)
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 0, 1)
	if err != nil {
		return err
	}
	name := optArg(args)
	cl, err := c.api()
	if err != nil {
		return err
	}
	id, err := localapi.Call(c.ctx, cl, localapi.Identity, localapi.NameRequest{Name: name})
	if err != nil {
		return err
	}
	if id.Unlocked {
		fmt.Fprintf(c.stdout, "Identity %s is already unlocked.\n", id.Name)
		return nil
	}
	p, err := c.passphrase(ps, "Passphrase for "+id.Name, false)
	if err != nil {
		return err
	}
	if _, err := localapi.Call(c.ctx, cl, localapi.Unlock, localapi.UnlockRequest{Name: id.Name, Passphrase: p}); err != nil {
		return err
	}
	if cl.Node != nil {
		fmt.Fprintf(c.stdout, "Passphrase is correct. No node is running, so nothing stays unlocked; start one with 'caravan serve'.\n")
		return nil
	}
	fmt.Fprintf(c.stdout, "Identity %s is unlocked until the node stops or 'caravan lock'.\n", id.Name)
	return nil
}

func runLock(c *cli, args []string) error {
	cmd := lookup("lock")
	fs := c.flags(cmd)
	args, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	if _, err := localapi.Call(c.ctx, cl, localapi.Lock, localapi.Empty{}); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "Locked: identities with a passphrase need it again to sign.")
	return nil
}
