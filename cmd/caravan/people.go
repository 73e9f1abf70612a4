package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
)

func init() {
	register(&command{name: "contact", args: "add|list|show|verify|remove ...", short: "your private address book: add, verify safety numbers", run: runContact, long: `
  caravan contact add NPUB|NPROFILE --name NAME [--follow [--public-name NAME]]
  caravan contact add --qr PHOTO.png --name NAME      read their QR code from a picture
  caravan contact list
  caravan contact show NAME         their key, QR code and your safety number
  caravan contact verify NAME       compare the safety number, then mark them verified
  caravan contact remove NAME

Contacts and their names are kept encrypted on this device. --follow also
adds them to your public follow list (kind 3), which others can see; their
name stays here unless you also give --public-name.`})
	register(&command{name: "group", args: "new|add|remove|leave|send|list ...", short: "group chats of up to 100 people", run: runGroup, long: `
  caravan group new NAME MEMBER...
  caravan group add NAME MEMBER...
  caravan group remove NAME MEMBER...
  caravan group send NAME TEXT
  caravan group leave NAME
  caravan group list

Members are contacts' names or keys. Every message is sealed separately for
each member (NIP-17); carriers cannot tell a group message from a private one.`})
}

func runContact(c *cli, args []string) error {
	cmd := lookup("contact")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	name := fs.String("name", "", "what you call them")
	qr := fs.String("qr", "", "read their key from a QR code in `IMAGE` (PNG or JPEG)")
	follow := fs.Bool("follow", false, "also follow them publicly (kind 3)")
	publicName := fs.String("public-name", "", "with --follow: publish `NAME` with them in your follow list, which anyone can read")
	yes := fs.Bool("yes", false, "verify: the numbers were compared and match (no question asked)")
	asJSON := fs.Bool("json", false, "print JSON")
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 0, 2)
	if err != nil {
		return err
	}
	verb := "list"
	if len(args) > 0 {
		verb = args[0]
	}
	arg := ""
	if len(args) > 1 {
		arg = args[1]
	}
	run := func(f func() error) error { return c.withUnlock(ps, *as, f) }
	switch verb {
	case "add":
		who := arg
		if *qr != "" {
			if who, err = readQR(*qr); err != nil {
				return err
			}
		}
		if who == "" {
			return usagef("contact add needs a key (npub, nprofile) or --qr IMAGE")
		}
		if *publicName != "" && !*follow {
			return usagef("--public-name is published in your follow list: add --follow, or leave it out")
		}
		var p node.Contact
		if err := run(func() error {
			p, err = localapi.Call(c.ctx, cl, localapi.AddPerson, localapi.PersonRequest{As: *as, Who: who, Name: *name, Follow: *follow, PublicName: *publicName})
			return err
		}); err != nil {
			return err
		}
		label := p.Petname
		if label == "" {
			label = "(no name)"
		}
		fmt.Fprintf(c.stdout, "Added %s: %s\nCompare safety numbers with 'caravan contact verify %s' when you can.\n", sanitize(label), p.NPub, sanitize(firstNonEmpty(p.Petname, p.NPub)))
		if p.PublicName != "" {
			fmt.Fprintf(c.stdout, "The name %q is published in your follow list: anyone can read it.\n", sanitize(p.PublicName))
		}
		return nil
	case "list":
		var ps []node.Contact
		if err := run(func() error {
			ps, err = localapi.Call(c.ctx, cl, localapi.People, localapi.AsRequest{As: *as})
			return err
		}); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.stdout, ps)
		}
		printPeople(c, ps)
		return nil
	case "show", "verify":
		if arg == "" {
			return usagef("contact %s needs a name or key", verb)
		}
		var s localapi.SafetyResponse
		if err := run(func() error {
			s, err = localapi.Call(c.ctx, cl, localapi.Safety, localapi.SafetyRequest{As: *as, Who: arg})
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s\n  key: %s\n", sanitize(arg), s.NPub)
		fmt.Fprintf(c.stdout, "  safety number (read it aloud, or compare screens):\n\n      %s\n\n", groupLines(s.Number))
		if s.Verified {
			fmt.Fprintln(c.stdout, "  verified: yes")
		}
		if verb == "show" {
			if q, err := terminalQR("nostr:" + s.NPub); err == nil {
				fmt.Fprintf(c.stdout, "%s", q)
			}
			return nil
		}
		if !*yes {
			if !c.isTerminal() {
				return usagef("to verify without a terminal, compare the number and pass --yes")
			}
			fmt.Fprint(c.stderr, "Does the other person see exactly the same number? [y/N] ")
			line, _ := bufio.NewReader(c.stdin).ReadString('\n')
			if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y") {
				fmt.Fprintln(c.stdout, "Not verified. If the numbers differ, someone may be in between: do not trust this key.")
				return nil
			}
		}
		if err := run(func() error {
			_, err = localapi.Call(c.ctx, cl, localapi.Verify, localapi.PersonRequest{As: *as, Who: arg})
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s is verified. You will be warned if someone else uses their name.\n", sanitize(arg))
		return nil
	case "remove":
		if arg == "" {
			return usagef("contact remove needs a name or key")
		}
		if err := run(func() error {
			_, err := localapi.Call(c.ctx, cl, localapi.RemovePerson, localapi.PersonRequest{As: *as, Who: arg})
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Removed %s from your contacts.\n", sanitize(arg))
		return nil
	}
	return usagef("unknown subcommand 'contact %s'; run 'caravan contact --help'", verb)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func groupLines(num string) string {
	g := strings.Fields(num)
	if len(g) != 12 {
		return num
	}
	return strings.Join(g[:4], " ") + "\n      " + strings.Join(g[4:8], " ") + "\n      " + strings.Join(g[8:], " ")
}

func printPeople(c *cli, ps []node.Contact) {
	if len(ps) == 0 {
		fmt.Fprintln(c.stdout, "No contacts yet. Add one with 'caravan contact add NPUB --name NAME'.")
		return
	}
	for _, p := range ps {
		name := p.Petname
		if name == "" {
			name = "-"
		}
		var marks []string
		if p.Verified {
			marks = append(marks, "verified")
		}
		if p.Followed {
			marks = append(marks, "followed")
		}
		if p.Private {
			marks = append(marks, "private")
		}
		if p.PublicName != "" {
			marks = append(marks, fmt.Sprintf("public name %q", sanitize(p.PublicName)))
		}
		fmt.Fprintf(c.stdout, "%-16s %s  %s", sanitize(name), p.NPub, strings.Join(marks, ", "))
		if p.Relay != "" {
			fmt.Fprintf(c.stdout, "  %s", sanitize(p.Relay))
		}
		fmt.Fprintln(c.stdout)
	}
}

func runGroup(c *cli, args []string) error {
	cmd := lookup("group")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	asJSON := fs.Bool("json", false, "print JSON")
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 0, -1)
	if err != nil {
		return err
	}
	verb := "list"
	if len(args) > 0 {
		verb = args[0]
	}
	run := func(f func() error) error { return c.withUnlock(ps, *as, f) }
	need := func(n int, what string) error {
		if len(args) < n {
			return usagef("group %s needs %s", verb, what)
		}
		return nil
	}
	switch verb {
	case "list":
		var gs []chat.Group
		if err := run(func() error {
			gs, err = localapi.Call(c.ctx, cl, localapi.Groups, localapi.AsRequest{As: *as})
			return err
		}); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.stdout, gs)
		}
		if len(gs) == 0 {
			fmt.Fprintln(c.stdout, "No groups yet. Start one with 'caravan group new NAME MEMBER...'.")
		}
		names := c.peopleNames(cl, *as)
		for _, g := range gs {
			var ms []string
			for _, m := range g.Members {
				ms = append(ms, names(m))
			}
			fmt.Fprintf(c.stdout, "%s (%d members): you, %s\n", sanitize(g.Name), len(g.Members)+1, sanitize(strings.Join(ms, ", ")))
		}
		return nil
	case "new":
		if err := need(3, "a name and at least one member"); err != nil {
			return err
		}
		var g chat.Group
		if err := run(func() error {
			g, err = localapi.Call(c.ctx, cl, localapi.NewGroup, localapi.GroupRequest{As: *as, Name: args[1], Members: args[2:]})
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Created group %s with %d members; they are told with the next sync.\n", sanitize(g.Name), len(g.Members)+1)
		return nil
	case "add", "remove":
		if err := need(3, "a group and at least one member"); err != nil {
			return err
		}
		req := localapi.GroupRequest{As: *as, Group: args[1]}
		if verb == "add" {
			req.Add = args[2:]
		} else {
			req.Remove = args[2:]
		}
		var g chat.Group
		if err := run(func() error {
			g, err = localapi.Call(c.ctx, cl, localapi.ChangeGroup, req)
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Group %s now has %d members.\n", sanitize(g.Name), len(g.Members)+1)
		return nil
	case "send":
		if err := need(3, "a group and the text"); err != nil {
			return err
		}
		return run(func() error {
			_, err := localapi.Call(c.ctx, cl, localapi.DM, localapi.DMRequest{As: *as, Group: args[1], Text: strings.Join(args[2:], " ")})
			if err == nil {
				fmt.Fprintln(c.stdout, "Sealed for every member and queued.")
			}
			return err
		})
	case "leave":
		if err := need(2, "a group"); err != nil {
			return err
		}
		if err := run(func() error {
			_, err := localapi.Call(c.ctx, cl, localapi.LeaveGroup, localapi.GroupRequest{As: *as, Group: args[1]})
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "You left %s; the others are told with the next sync.\n", sanitize(args[1]))
		return nil
	}
	return usagef("unknown subcommand 'group %s'; run 'caravan group --help'", verb)
}

func printJSONLine(w io.Writer, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "%s\n", b)
}
