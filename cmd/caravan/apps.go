package main

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/apps"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
)

func init() {
	register(&command{name: "apps", args: "[publish DIR | verify DIR | remove]", short: "hand the caravan program itself to people with no internet", run: runApps, long: `
  caravan apps                 what this node hands out: files, sizes, sums, signer
  caravan apps publish DIR     publish the binaries of DIR, signing their sums
  caravan apps verify DIR      check a folder of binaries and say who signed it
  caravan apps remove          stop handing them out

DIR is a folder as scripts/release writes it: the binaries and their
SHA256SUMS (as sha256sum writes it). Publishing checks every binary against
its sum, copies them into the data directory and signs the sums with your
identity (--as for another). The node then offers them on its relay port at
/apps/: a download page for phones and laptops, in English, Spanish, Russian
and Kazakh. Neighbours reach it when the node listens on the network
('caravan serve --listen 0.0.0.0:7447').

The signature (SHA256SUMS.json) goes with the files, so whoever gets them
can check them with 'caravan apps verify' or any Nostr tool (docs/apps.md).`})
}

func runApps(c *cli, args []string) error {
	cmd := lookup("apps")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	signer := fs.String("signer", "", "verify: fail unless the files are signed by this `NPUB`")
	asJSON := fs.Bool("json", false, "print JSON")
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 0, 2)
	if err != nil {
		return err
	}
	verb := optArg(args)
	needDir := func() (string, error) {
		if len(args) != 2 {
			return "", usagef("apps %s needs a folder: 'caravan apps %s DIR'", verb, verb)
		}
		return filepath.Abs(args[1])
	}
	if verb == "verify" {
		// A folder anyone hands us: no node needed.
		dir, err := needDir()
		if err != nil {
			return err
		}
		return c.verifyApps(dir, *signer, *asJSON)
	}
	if verb != "" && verb != "list" && verb != "publish" && verb != "remove" {
		return usagef("unknown apps command %q; run 'caravan apps --help'", verb)
	}
	if (verb == "" || verb == "list" || verb == "remove") && len(args) > 1 {
		return usagef("apps %s: unexpected argument %q", verb, args[1])
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	switch verb {
	case "publish":
		dir, err := needDir()
		if err != nil {
			return err
		}
		var set *apps.Set
		if err := c.withUnlock(ps, *as, func() error {
			set, err = localapi.Call(c.ctx, cl, localapi.PublishApps, localapi.AppsPublishRequest{As: *as, Dir: dir})
			return err
		}); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.stdout, set)
		}
		fmt.Fprintf(c.stdout, "Published %d files of %s, their sums signed by %s.\n", len(set.Files), caravanVersion(set), c.signerName(cl, set.Signer))
		printAppFiles(c, set, false)
		if set.PreviousSigner != "" {
			fmt.Fprintf(c.stdout, "The folder was signed before by %s; that signature checked out and is replaced by yours.\n", set.PreviousSigner)
		}
		c.whereServed(cl)
		return nil
	case "remove":
		if _, err := localapi.Call(c.ctx, cl, localapi.RemoveApps, localapi.Empty{}); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "Removed: this node no longer hands out the program.")
		return nil
	}
	set, err := localapi.Call(c.ctx, cl, localapi.Apps, localapi.Empty{})
	if errors.Is(err, apps.ErrNothingPublished) {
		if *asJSON {
			return printJSON(c.stdout, struct{}{})
		}
		fmt.Fprintln(c.stdout, "Nothing is published: this node does not hand out the program yet.")
		fmt.Fprintln(c.stdout, "Build the binaries and publish them: scripts/release DIR && caravan apps publish DIR")
		return nil
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, set)
	}
	fmt.Fprintf(c.stdout, "%s, signed by %s on %s:\n", caravanVersion(set), c.signerName(cl, set.Signer), set.Signed.Local().Format("2006-01-02 15:04"))
	printAppFiles(c, set, true)
	c.whereServed(cl)
	return nil
}

func caravanVersion(set *apps.Set) string {
	if set.Version == "" {
		return "Caravan (version not known)"
	}
	return "Caravan " + set.Version
}

func printAppFiles(c *cli, set *apps.Set, sums bool) {
	for _, f := range set.Files {
		fmt.Fprintf(c.stdout, "  %-27s %9s  %s\n", f.Name, humanBytes(f.Size), f.Platform())
		if sums {
			fmt.Fprintf(c.stdout, "    sha256 %s\n", f.SHA256)
		}
	}
}

// signerName is "me (npub1...)" for this node's identities, else the npub.
func (c *cli) signerName(cl *localapi.Client, hexKey string) string {
	np := keys.PublicKey(hexKey).NPub()
	ids, err := localapi.Call(c.ctx, cl, localapi.Identities, localapi.Empty{})
	if err != nil {
		return np
	}
	for _, id := range ids {
		if id.PubKey.Hex() == hexKey {
			return id.Name + " (" + np + ")"
		}
	}
	return np
}

// whereServed says at which address people can download.
func (c *cli) whereServed(cl *localapi.Client) {
	st, err := localapi.Call(c.ctx, cl, localapi.Status, localapi.Empty{})
	if err != nil {
		return
	}
	addr := strings.TrimPrefix(st.Relay, "ws://")
	if !st.Serving {
		if cl.Node == nil {
			return
		}
		addr = cl.Node.Config.Listen
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return
	}
	ip := net.ParseIP(host)
	url := "http://" + net.JoinHostPort(host, port) + apps.Prefix
	if ip != nil && ip.IsUnspecified() {
		url = "http://<this computer's address on the network>:" + port + apps.Prefix
	}
	if st.Serving {
		fmt.Fprintf(c.stdout, "Download page: %s\n", url)
	} else {
		fmt.Fprintf(c.stdout, "Download page, once 'caravan serve' runs: %s\n", url)
	}
	if host == "localhost" || ip != nil && ip.IsLoopback() {
		fmt.Fprintln(c.stdout, "Only this computer can open it; to let people on your network download, run 'caravan serve --listen 0.0.0.0:7447'.")
	}
}

func (c *cli) verifyApps(dir, want string, asJSON bool) error {
	set, err := apps.Verify(dir, apps.VerifyOptions{AllowMissing: true})
	if err != nil {
		var e *apps.Error
		if errors.As(err, &e) && e.Hint != "" {
			return hint(err, "%s", e.Hint)
		}
		return err
	}
	if want != "" {
		pk, _, err := keys.ParsePublicKey(want)
		if err != nil {
			return usagef("--signer: %v", err)
		}
		if pk.Hex() != set.Signer {
			return hint(fmt.Errorf("%s is signed by %s, not by %s", dir, set.NPub, pk.NPub()),
				"do not run these files unless you trust %s; get them again from the person you expected", set.NPub)
		}
	}
	if asJSON {
		return printJSON(c.stdout, set)
	}
	missing := map[string]bool{}
	for _, m := range set.Missing {
		missing[m] = true
	}
	for _, f := range set.Files {
		if missing[f.Name] {
			fmt.Fprintf(c.stdout, "%s: not in this folder\n", f.Name)
		} else {
			fmt.Fprintf(c.stdout, "%s: OK\n", f.Name)
		}
	}
	fmt.Fprintf(c.stdout, "%s, signed by %s on %s.\n", caravanVersion(set), set.NPub, set.Signed.UTC().Format(time.DateTime+" UTC"))
	fmt.Fprintf(c.stdout, "Every file here matches its signed sum. Make sure %s is the key of someone you trust.\n", set.NPub)
	return nil
}
