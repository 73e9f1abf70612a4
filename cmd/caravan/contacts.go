package main

import (
	"fmt"

	"github.com/caravan-mesh/caravan/localapi"
)

func init() {
	register(&command{name: "follow", args: "NPUB|NPROFILE", short: "add someone to your contact list (kind 3)", run: runFollow})
	register(&command{name: "unfollow", args: "NPUB|NPROFILE", short: "remove someone from your contact list", run: runUnfollow})
	register(&command{name: "contacts", short: "list the people you know: private contacts and public follows", run: runContacts})
}

func runFollow(c *cli, args []string) error { return follow(c, "follow", args) }

func runUnfollow(c *cli, args []string) error { return follow(c, "unfollow", args) }

func follow(c *cli, name string, args []string) error {
	cmd := lookup(name)
	fs := c.flags(cmd)
	as := fs.String("as", "", "change the list of identity `NAME` (default: the default identity)")
	var petname, relay *string
	if name == "follow" {
		petname = fs.String("name", "", "what you call them (a petname, kept in your contact list)")
		relay = fs.String("relay", "", "a relay `URL` where they can be found")
	}
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	req := localapi.FollowRequest{As: *as, PubKey: args[0]}
	if petname != nil {
		req.Petname, req.Relay = *petname, *relay
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	err = c.withUnlock(ps, *as, func() error {
		if name == "follow" {
			_, err = localapi.Call(c.ctx, cl, localapi.Follow, req)
		} else {
			_, err = localapi.Call(c.ctx, cl, localapi.Unfollow, req)
		}
		return err
	})
	if err != nil {
		return err
	}
	cs, err := localapi.Call(c.ctx, cl, localapi.Contacts, localapi.AsRequest{As: *as})
	if err != nil {
		return err
	}
	verb := "Following"
	if name == "unfollow" {
		verb = "No longer following"
	}
	fmt.Fprintf(c.stdout, "%s %s. Your contact list has %d %s.\n", verb, args[0], len(cs), plural(len(cs), "contact", "contacts"))
	return nil
}

func runContacts(c *cli, args []string) error {
	cmd := lookup("contacts")
	fs := c.flags(cmd)
	as := fs.String("as", "", "list the contacts of identity `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	_, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	ps, err := localapi.Call(c.ctx, cl, localapi.People, localapi.AsRequest{As: *as})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, ps)
	}
	printPeople(c, ps)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
