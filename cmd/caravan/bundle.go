package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/caravan-mesh/caravan/localapi"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/bundle"
	"github.com/caravan-mesh/caravan/bundles"
	"github.com/nbd-wtf/go-nostr"
)

// BundlePassphraseEnv holds a bundle's passphrase for scripts.
const BundlePassphraseEnv = "CARAVAN_BUNDLE_PASSPHRASE"

func init() {
	register(&command{name: "bundle", args: "export|import ...", short: "carry events and attachments on a USB stick or SD card, encrypted", run: runBundle, long: `
  caravan bundle export FILE (--to PERSON... | --passphrase) [--for PERSON|PEER]
        [--since TIME] [--filter JSON] [--max SIZE] [--split SIZE] [--resend]
  caravan bundle import FILE... [--passphrase]

A bundle holds what this node carries, most valuable first (your own
events, private messages for your contacts, reports, then the rest, newest
first), and the attachments they reference. It is encrypted: only the
people named with --to (by npub, nprofile or contact name), and whoever
knows the passphrase if --passphrase or --passphrase-file gave one, can
open it; export lists every way it opens. To anyone else the file is
random bytes that do not even say what program made them.

--for leaves out what that person's node (or a peer address from 'caravan
peers') is known to hold: what it sent us, what earlier syncs covered, and
what went to it in earlier bundles (--resend includes those until it
confirms them; a bundle it sends back confirms them). --max (700M, 4G)
stops when the file would grow larger; --split (4G for FAT32 sticks, 100M)
writes FILE.001, FILE.002, ...

Import takes the parts in any order, and imports everything intact from a
damaged, cut or incomplete bundle, saying exactly what was lost. Importing
twice is safe. It tries the keys of your unlocked identities, and a
passphrase if one is given: --passphrase (asked in a terminal, or taken
from $` + BundlePassphraseEnv + `), --passphrase-file, or $` + BundlePassphraseEnv + ` alone.

Export protects the bundle with a passphrase only when --passphrase or
--passphrase-file asks for it; --passphrase takes it from
$` + BundlePassphraseEnv + ` when that is set, and asks in a terminal otherwise.
The variable alone never adds a passphrase to a bundle made --to people.`})
}

func runBundle(c *cli, args []string) error {
	cmd := lookup("bundle")
	fs := c.flags(cmd)
	var to multiFlag
	fs.Var(&to, "to", "export: who can open it: npub, nprofile or contact `NAME` (repeatable)")
	forWho := fs.String("for", "", "export: leave out what `PERSON` (or peer URL) is known to hold")
	since := fs.String("since", "", "export: only events from the last `DURATION` (24h, 7d) or since a DATE (2026-01-05)")
	filter := fs.String("filter", "", "export: only events matching this NIP-01 filter (`JSON`)")
	maxSize := fs.String("max", "", "export: at most `SIZE` bytes (K, M, G)")
	split := fs.String("split", "", "export: write parts of at most `SIZE` bytes (K, M, G)")
	resend := fs.Bool("resend", false, "export: include what went to --for in bundles it has not confirmed")
	askPass := fs.Bool("passphrase", false, "protect (export) or open (import) with a passphrase typed in the terminal")
	passFile := fs.String("passphrase-file", "", "read the bundle's passphrase from the first line of `FILE`")
	asJSON := fs.Bool("json", false, "print JSON")
	args, cl, err := c.connect(cmd, fs, args, 2, -1)
	if err != nil {
		return err
	}
	// A passphrase is a way into the bundle: on export, only when asked
	// for. On import, one from the environment is only one more key to
	// try.
	pass := ""
	if *askPass || *passFile != "" || (args[0] == "import" && os.Getenv(BundlePassphraseEnv) != "") {
		pass, err = c.bundlePassphrase(*passFile, args[0] == "export")
		if err != nil {
			return err
		}
	}
	switch args[0] {
	case "export":
		if len(args) != 2 {
			return usagef("bundle export takes one FILE")
		}
		if pass == "" && len(to) == 0 {
			return usagef("say who can open the bundle: --to PERSON (repeatable), or --passphrase")
		}
		o := bundles.Export{For: *forWho, To: to, Passphrase: pass, Resend: *resend}
		if o.Path, err = filepath.Abs(args[1]); err != nil {
			return err
		}
		if o.Max, err = parseSize("--max", *maxSize); err != nil {
			return err
		}
		if o.Split, err = parseSize("--split", *split); err != nil {
			return err
		}
		if o.Split != 0 && o.Split < bundle.MinPartSize {
			return usagef("--split %s is too small: parts must be at least %dK", *split, (bundle.MinPartSize+1023)/1024)
		}
		if o.Since, err = parseSince(*since, time.Now()); err != nil {
			return err
		}
		if *filter != "" {
			var f nostr.Filter
			if err := json.Unmarshal([]byte(*filter), &f); err != nil {
				return hint(fmt.Errorf("--filter is not a NIP-01 filter: %v", err), `for example --filter '{"kinds":[30023],"authors":["<hex>"]}'`)
			}
			o.Filter = &f
		}
		made, err := localapi.Call(c.ctx, cl, localapi.ExportBundle, o)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.stdout, made)
		}
		printMade(c, made, *forWho)
		c.printOpens(cl, made.Opens)
		return nil
	case "import":
		var paths []string
		for _, a := range args[1:] {
			p, err := filepath.Abs(a)
			if err != nil {
				return err
			}
			paths = append(paths, p)
		}
		res, err := localapi.Call(c.ctx, cl, localapi.ImportBundle, bundles.Import{Paths: paths, Passphrase: pass})
		if err != nil {
			return err
		}
		if *asJSON {
			if err := printJSON(c.stdout, res); err != nil {
				return err
			}
		} else {
			printRead(c, res)
		}
		if res.Lost.Any() {
			return hint(errors.New("the bundle was incomplete; everything intact was imported"), "import the missing or damaged parts again (a second copy of the stick?), or let a sync fetch the rest")
		}
		return nil
	}
	return usagef("bundle: the commands are 'export' and 'import'")
}

func (c *cli) bundlePassphrase(file string, confirm bool) (string, error) {
	if file == "" {
		if v := os.Getenv(BundlePassphraseEnv); v != "" {
			return v, nil
		}
	}
	p, err := c.passphrase(&passSource{file: file}, "Bundle passphrase", confirm)
	if errors.Is(err, errNoPassphrase) {
		return "", hint(err, "give the bundle's passphrase with --passphrase-file FILE or $%s, or run the command in a terminal", BundlePassphraseEnv)
	}
	return p, err
}

func printMade(c *cli, m bundles.Made, forWho string) {
	w := c.stdout
	att := ""
	if m.Blobs > 0 {
		att = fmt.Sprintf(" and %s (%s)", count(m.Blobs, "attachment", "attachments"), humanBytes(m.BlobBytes))
	}
	fmt.Fprintf(w, "Wrote %s (%s)%s in %s:\n", count(m.Events, "event", "events"), classes(m.ByClass), att, humanBytes(m.Bytes))
	for _, f := range m.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	if m.RawBytes > 0 && m.Bytes < m.RawBytes {
		fmt.Fprintf(w, "Compressed to %.0f%% of %s.\n", 100*float64(m.Bytes)/float64(m.RawBytes), humanBytes(m.RawBytes))
	}
	if !m.Signed {
		fmt.Fprintln(w, "Not signed (your identity is locked): the receiver will not learn what your node holds. 'caravan unlock' first to sign.")
	}
	if m.LeftEvents > 0 || m.LeftBlobs > 0 {
		fmt.Fprintf(w, "Left out for lack of space (--max): %d events and %d attachments, the least urgent.\n", m.LeftEvents, m.LeftBlobs)
	}
	if m.Unconfirmed > 0 {
		fmt.Fprintf(w, "Left out %d events already sent to %s in earlier bundles it has not confirmed (--resend includes them).\n", m.Unconfirmed, forWho)
	}
}

// printOpens lists every way the bundle opens, people by the names the
// user knows them by.
func (c *cli) printOpens(cl *localapi.Client, opens []bundles.Opener) {
	names := c.knownNames(cl)
	fmt.Fprintln(c.stdout, "It opens only:")
	for _, o := range opens {
		switch {
		case o.Passphrase:
			fmt.Fprintln(c.stdout, "  with the passphrase")
		case names[o.PubKey.Hex()] != "":
			fmt.Fprintf(c.stdout, "  for %s (%s)\n", names[o.PubKey.Hex()], o.NPub)
		case o.Profile != "":
			fmt.Fprintf(c.stdout, "  for %s (who calls themselves %q; not one of your contacts)\n", o.NPub, sanitize(o.Profile))
		default:
			fmt.Fprintf(c.stdout, "  for %s (not one of your contacts)\n", o.NPub)
		}
	}
}

// knownNames maps hex keys to what the user calls them: the default
// identity's contacts, private or followed, and the user's own
// identities.
func (c *cli) knownNames(cl *localapi.Client) map[string]string {
	names := map[string]string{}
	if ps, err := localapi.Call(c.ctx, cl, localapi.People, localapi.AsRequest{}); err == nil {
		for _, p := range ps {
			if p.Petname != "" {
				names[p.PubKey.Hex()] = sanitize(p.Petname)
			}
		}
	}
	if ids, err := localapi.Call(c.ctx, cl, localapi.Identities, localapi.Empty{}); err == nil {
		for _, id := range ids {
			names[id.PubKey.Hex()] = "your identity " + id.Name
		}
	}
	return names
}

func classes(by map[string]int) string {
	if len(by) == 0 {
		return "none"
	}
	var keys []string
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, by[k]))
	}
	return strings.Join(parts, ", ")
}

func printRead(c *cli, r bundles.Read) {
	w := c.stdout
	parts := ""
	if r.Parts > 1 {
		parts = fmt.Sprintf(", %d parts", r.Parts)
	}
	made := time.Unix(r.Created, 0).UTC().Format("2006-01-02 15:04 UTC")
	fmt.Fprintf(w, "Bundle %s, made %s%s.\n", r.ID[:12], made, parts)
	if r.ReadBefore != 0 {
		fmt.Fprintf(w, "It was imported here before (%s); importing again is safe.\n", time.Unix(r.ReadBefore, 0).UTC().Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprintf(w, "Events: %d new, %d already here, %d refused.\n", r.Stored, r.Held, r.Refused)
	for why, n := range r.Why {
		fmt.Fprintf(w, "  refused %d: %s\n", n, why)
	}
	fmt.Fprintf(w, "Attachments: %d whole (%s).\n", r.Blobs, humanBytes(r.BlobBytes))
	for sum, why := range r.BlobsRefused {
		fmt.Fprintf(w, "  attachment %s not kept: %s\n", sum[:12], why)
	}
	if r.Proof != "" {
		fmt.Fprintf(w, "The maker's signature was not taken (%s): nothing is recorded about what its node holds.\n", r.Proof)
	}
	if r.Confirmed > 0 {
		fmt.Fprintf(w, "It confirms that %d events we sent in earlier bundles arrived.\n", r.Confirmed)
	}
	l := r.Lost
	if !l.Any() {
		return
	}
	fmt.Fprintln(w, "LOST:")
	if len(l.MissingParts) > 0 {
		fmt.Fprintf(w, "  missing parts: %s of %d\n", joinInts(l.MissingParts), r.Parts)
	}
	for _, f := range l.Cut {
		fmt.Fprintf(w, "  %s is cut short (copied only in part?)\n", f)
	}
	for _, f := range l.Located {
		fmt.Fprintf(w, "  %s has a damaged header; its contents were placed anyway\n", f)
	}
	if l.Frames > 0 {
		fmt.Fprintf(w, "  %d blocks of 64 KiB could not be read (damaged or missing)\n", l.Frames)
	}
	if l.Events > 0 {
		var kinds []string
		for k, n := range l.ByKind {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, "  %d events: %s\n", l.Events, strings.Join(kinds, ", "))
		for i, id := range l.IDs {
			if i == 20 {
				fmt.Fprintf(w, "    ... and %d more (--json lists all)\n", len(l.IDs)-20)
				break
			}
			fmt.Fprintf(w, "    %s...\n", id)
		}
	}
	if l.HeldAnyway > 0 {
		fmt.Fprintf(w, "  (%d more lost events were already here from elsewhere)\n", l.HeldAnyway)
	}
	if l.Unlisted > 0 {
		fmt.Fprintf(w, "  %d more events, whose list was in the lost part\n", l.Unlisted)
	}
	if l.UnlistedBlobs > 0 {
		fmt.Fprintf(w, "  %d attachments, whose list was in the lost part\n", l.UnlistedBlobs)
	}
	for _, b := range l.Blobs {
		fmt.Fprintf(w, "  attachment %s (what arrived is kept; a sync fetches the rest)\n", b[:12])
	}
	if l.BadRecords > 0 {
		fmt.Fprintf(w, "  %d records that did not parse\n", l.BadRecords)
	}
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, ", ")
}

// parseSize reads 700M, 4G, 64K, 1.5G or a number of bytes.
func parseSize(flagName, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	u := strings.ToUpper(s)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			mult, u = suf.m, strings.TrimSuffix(u, suf.s)
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<50 {
		return 0, usagef("%s %q is not a size; write it like 700M, 4G or 64K", flagName, s)
	}
	return int64(v * float64(mult)), nil
}

// parseSince reads a duration back from now (24h, 7d), a date, or a time
// (RFC 3339).
func parseSince(s string, now time.Time) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour).Unix(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d).Unix(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, usagef("--since %q is not a time; write 24h, 7d, 2026-01-05 or 2026-01-05T18:00:00Z", s)
}

// count is n and the noun in the right number.
func count(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(n, one, many))
}
