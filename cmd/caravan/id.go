package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
)

func init() {
	register(&command{name: "id", args: "SUBCOMMAND", short: "manage identities: new, list, show, export, import, use, passwd", run: runID})
	sub := []*command{
		{name: "new", args: "NAME", short: "create an identity with a new key", run: runIDNew, long: `
The secret key is stored encrypted with a passphrase (NIP-49 ncryptsec). The
first identity becomes the default.`},
		{name: "list", short: "list identities", run: runIDList},
		{name: "show", args: "[NAME]", short: "show an identity's npub, nprofile and QR code", run: runIDShow},
		{name: "export", args: "[NAME]", short: "print an identity's key (encrypted unless --nsec)", run: runIDExport, long: `
Prints the ncryptsec (the key encrypted with its passphrase), which any NIP-49
Nostr app can import. --nsec prints the bare key instead, after asking for
the passphrase: anyone who sees it can write as you.`},
		{name: "import", args: "NAME [FILE|-]", short: "add an existing key (nsec, ncryptsec or hex)", run: runIDImport, long: `
Reads the key from FILE, from standard input with "-", or asks for it in the
terminal, so it does not end up in the shell history. An ncryptsec keeps its
passphrase; an nsec is encrypted with a new one.`},
		{name: "use", args: "NAME", short: "make an identity the default", run: runIDUse},
		{name: "passwd", args: "[NAME]", short: "change an identity's passphrase", run: runIDPasswd},
	}
	for _, s := range sub {
		s.group = "id"
		register(s)
	}
}

func runID(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := c.stdout
		if len(args) == 0 {
			w = c.stderr
		}
		fmt.Fprintf(w, "Usage: caravan id SUBCOMMAND [flags] [arguments]\n\nSubcommands:\n")
		for _, cmd := range commands {
			if cmd.group == "id" {
				fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.short)
			}
		}
		if len(args) == 0 {
			return usagef("id needs a subcommand")
		}
		return nil
	}
	for _, cmd := range commands {
		if cmd.group == "id" && cmd.name == args[0] {
			return cmd.run(c, args[1:])
		}
	}
	return usagef("unknown subcommand 'id %s'; run 'caravan id --help'", args[0])
}

func idCommand(name string) *command {
	for _, cmd := range commands {
		if cmd.group == "id" && cmd.name == name {
			return cmd
		}
	}
	panic("no id command " + name)
}

func runIDNew(c *cli, args []string) error {
	cmd := idCommand("new")
	fs := c.flags(cmd)
	ps := addPassFlags(fs, true)
	makeDefault := fs.Bool("default", false, "make it the default identity")
	args, err := c.args(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := keys.CheckName(args[0]); err != nil {
		return usagef("%v", err)
	}
	if err := ps.check(); err != nil {
		return err
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	req := localapi.NewIdentityRequest{Name: args[0], NoPassphrase: ps.none}
	if !ps.none {
		if req.Passphrase, err = c.passphrase(ps, "New passphrase for "+args[0], true); err != nil {
			return hint(err, "or pass --no-passphrase to store the key unencrypted (not recommended)")
		}
	}
	id, err := localapi.Call(c.ctx, cl, localapi.NewIdentity, req)
	if err != nil {
		return err
	}
	if *makeDefault && !id.Default {
		if id, err = localapi.Call(c.ctx, cl, localapi.SetDefault, localapi.NameRequest{Name: id.Name}); err != nil {
			return err
		}
	}
	if ps.none {
		fmt.Fprintln(c.stderr, noPassphraseWarning)
	}
	fmt.Fprintf(c.stdout, "Created identity %s: %s%s\n", id.Name, id.NPub, defaultMark(id))
	return nil
}

func defaultMark(id keys.Identity) string {
	if id.Default {
		return " (default)"
	}
	return ""
}

func runIDList(c *cli, args []string) error {
	cmd := idCommand("list")
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print JSON")
	args, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	ids, err := localapi.Call(c.ctx, cl, localapi.Identities, localapi.Empty{})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, ids)
	}
	if len(ids) == 0 {
		fmt.Fprintln(c.stdout, "No identities yet. Create one with 'caravan id new NAME'.")
		return nil
	}
	for _, id := range ids {
		mark := " "
		if id.Default {
			mark = "*"
		}
		fmt.Fprintf(c.stdout, "%s %-12s %s  %s\n", mark, id.Name, id.NPub, identityState(id))
	}
	return nil
}

func runIDShow(c *cli, args []string) error {
	cmd := idCommand("show")
	fs := c.flags(cmd)
	noQR := fs.Bool("no-qr", false, "do not draw the QR code")
	asJSON := fs.Bool("json", false, "print JSON")
	args, err := c.args(cmd, fs, args, 0, 1)
	if err != nil {
		return err
	}
	name := optArg(args)
	cl, err := c.api()
	if err != nil {
		return err
	}
	info, err := localapi.Call(c.ctx, cl, localapi.Identity, localapi.NameRequest{Name: name})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, info)
	}
	fmt.Fprintf(c.stdout, "Identity %s%s\n", info.Name, defaultMark(info.Identity))
	fmt.Fprintf(c.stdout, "  npub:     %s\n", info.NPub)
	fmt.Fprintf(c.stdout, "  nprofile: %s\n", info.NProfile)
	fmt.Fprintf(c.stdout, "  hex:      %s\n", info.PubKey.Hex())
	if !*noQR {
		qr, err := terminalQR("nostr:" + info.NProfile)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "\nScan to add this contact:\n%s", qr)
	}
	return nil
}

func runIDExport(c *cli, args []string) error {
	cmd := idCommand("export")
	fs := c.flags(cmd)
	nsec := fs.Bool("nsec", false, "print the bare secret key (asks for the passphrase)")
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 0, 1)
	if err != nil {
		return err
	}
	req := localapi.ExportRequest{NSec: *nsec}
	if len(args) == 1 {
		req.Name = args[0]
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if *nsec {
		id, err := localapi.Call(c.ctx, cl, localapi.Identity, localapi.NameRequest{Name: req.Name})
		if err != nil {
			return err
		}
		if id.Encrypted {
			if req.Passphrase, err = c.passphrase(ps, "Passphrase for "+id.Name, false); err != nil {
				return err
			}
		}
		fmt.Fprintln(c.stderr, "WARNING: this is your bare secret key. Anyone who sees it can write as you; store it offline.")
	}
	s, err := localapi.Call(c.ctx, cl, localapi.Export, req)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, s.Secret)
	return nil
}

func runIDImport(c *cli, args []string) error {
	cmd := idCommand("import")
	fs := c.flags(cmd)
	ps := addPassFlags(fs, true)
	args, err := c.args(cmd, fs, args, 1, 2)
	if err != nil {
		return err
	}
	if err := keys.CheckName(args[0]); err != nil {
		return usagef("%v", err)
	}
	from := ""
	if len(args) == 2 {
		from = args[1]
	}
	secret, err := c.readSecret(from)
	if err != nil {
		return err
	}
	if secret == "" {
		return usagef("no key given")
	}
	if err := keys.CheckSecretFormat(secret); err != nil {
		return err
	}
	req := localapi.ImportRequest{Name: args[0], Secret: secret, NoPassphrase: ps.none}
	encrypted := strings.HasPrefix(strings.ToLower(secret), "ncryptsec1")
	if !encrypted {
		// (For an ncryptsec, the file holds the passphrase it opens with.)
		if err := ps.check(); err != nil {
			return err
		}
	}
	if encrypted || !ps.none {
		prompt, confirm := "New passphrase for "+args[0], true
		if encrypted {
			prompt, confirm = "Passphrase of this ncryptsec", false
		}
		if req.Passphrase, err = c.passphrase(ps, prompt, confirm); err != nil {
			return err
		}
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	id, err := localapi.Call(c.ctx, cl, localapi.ImportIdentity, req)
	if err != nil {
		return err
	}
	if ps.none {
		fmt.Fprintln(c.stderr, noPassphraseWarning)
	}
	fmt.Fprintf(c.stdout, "Imported identity %s: %s%s\n", id.Name, id.NPub, defaultMark(id))
	return nil
}

func runIDUse(c *cli, args []string) error {
	cmd := idCommand("use")
	fs := c.flags(cmd)
	args, cl, err := c.connect(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := localapi.Call(c.ctx, cl, localapi.SetDefault, localapi.NameRequest{Name: args[0]})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Default identity is now %s (%s)\n", id.Name, id.NPub)
	return nil
}

func runIDPasswd(c *cli, args []string) error {
	cmd := idCommand("passwd")
	fs := c.flags(cmd)
	oldFile := fs.String("old-passphrase-file", "", "read the current passphrase from `FILE`")
	ps := addPassFlags(fs, true)
	args, err := c.args(cmd, fs, args, 0, 1)
	if err != nil {
		return err
	}
	if err := ps.check(); err != nil {
		return err
	}
	req := localapi.PassphraseRequest{NoPassphrase: ps.none}
	if len(args) == 1 {
		req.Name = args[0]
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	id, err := localapi.Call(c.ctx, cl, localapi.Identity, localapi.NameRequest{Name: req.Name})
	if err != nil {
		return err
	}
	if id.Encrypted {
		if req.Old, err = c.passphrase(&passSource{file: *oldFile}, "Current passphrase for "+id.Name, false); err != nil {
			return err
		}
	}
	if !ps.none {
		if req.New, err = c.passphrase(ps, "New passphrase for "+id.Name, true); err != nil {
			return err
		}
	}
	if _, err := localapi.Call(c.ctx, cl, localapi.ChangePassphrase, req); err != nil {
		return err
	}
	if ps.none {
		fmt.Fprintln(c.stderr, noPassphraseWarning)
		fmt.Fprintf(c.stdout, "Identity %s is now stored without a passphrase.\n", id.Name)
	} else {
		fmt.Fprintf(c.stdout, "Passphrase of %s changed.\n", id.Name)
	}
	return nil
}

// identityState says whether an identity can sign now.
func identityState(id keys.Identity) string {
	switch {
	case !id.Encrypted:
		return "no passphrase"
	case id.Unlocked:
		return "unlocked"
	}
	return "locked"
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
