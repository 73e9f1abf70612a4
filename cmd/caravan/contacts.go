package main

import (
	"fmt"

	"github.com/caravan-mesh/caravan/localapi"
)

func init() {
	register(&command{name: "follow", args: "NPUB|NPROFILE", short: "add someone to your contact list (kind 3)", run: runFollow, long: `
Your follow list (kind 3) is public: anyone can see whom you follow. The
name you give with --name stays on this device. Only --public-name puts a
name into the follow list, where anyone can read it; each follow without
it takes out a name published before.`})
	register(&command{name: "unfollow", args: "NPUB|NPROFILE", short: "remove someone from your contact list", run: runUnfollow})
	register(&command{name: "contacts", short: "list the people you know: private contacts and public follows", run: runContacts})
}

func runFollow(c *cli, args []string) error { return follow(c, "follow", args) }

func runUnfollow(c *cli, args []string) error { return follow(c, "unfollow", args) }

func follow(c *cli, name string, args []string) error {
	cmd := lookup(name)
	fs := c.flags(cmd)
	as := fs.String("as", "", "change the list of identity `NAME` (default: the default identity)")
	var petname, publicName, relay *string
	if name == "follow" {
		petname = fs.String("name", "", "what you call them: kept on this device, never published")
		publicName = fs.String("public-name", "", "publish `NAME` with them in your follow list, which anyone can read")
		relay = fs.String("relay", "", "a relay `URL` where they can be found")
	}
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	req := localapi.FollowRequest{As: *as, PubKey: args[0]}
	if petname != nil {
		req.Petname, req.PublicName, req.Relay = *petname, *publicName, *relay
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
	switch {
	case req.PublicName != "":
		fmt.Fprintf(c.stdout, "The name %q is published in your follow list: anyone can read it.\n", sanitize(req.PublicName))
	case req.Petname != "":
		fmt.Fprintf(c.stdout, "The name %q stays on this device.\n", sanitize(req.Petname))
	}
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
