package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/qr"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	"golang.org/x/term"
)

func init() {
	register(&command{name: "qr", args: "show [EVENT] | read IMAGE", short: "pass a contact card or a short signed note by QR code", run: runQR, long: `
  caravan qr show                    your contact card (nostr:nprofile...)
  caravan qr show EVENT              one signed event held here (note1, nevent or hex id)
  caravan qr show ... --png FILE     write a PNG picture instead of drawing it
  caravan qr read IMAGE              read a photo or picture of a code (PNG or JPEG)
  caravan qr read IMAGE --name NAME  ... and add the contact card in it to your contacts

For when only a screen and a camera join two people. An event travels
whole, so the other node checks its signature and stores it with no network;
it must be at most 1,024 bytes (a short note). Larger ones travel in bundle
files or by sync. docs/qr.md describes the text inside the codes.`})
}

func runQR(c *cli, args []string) error {
	cmd := lookup("qr")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	pngFile := fs.String("png", "", "show: write the code as a PNG picture to `FILE`")
	text := fs.Bool("text", false, "show: print the text inside the code instead of drawing it")
	name := fs.String("name", "", "read: add the contact card to your contacts under `NAME`")
	follow := fs.Bool("follow", false, "read: also follow them publicly (kind 3), with --name")
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 1, 2)
	if err != nil {
		return err
	}
	switch args[0] {
	case "show":
		if *name != "" || *follow {
			return usagef("--name and --follow are for 'qr read'")
		}
		if *pngFile != "" && *text {
			return usagef("choose one of --png and --text")
		}
		return qrShow(c, *as, optArg(args[1:]), *pngFile, *text)
	case "read":
		if len(args) < 2 {
			return usagef("qr read needs the picture: caravan qr read IMAGE")
		}
		if *pngFile != "" || *text {
			return usagef("--png and --text are for 'qr show'")
		}
		if *follow && *name == "" {
			return usagef("--follow adds a contact: give their --name too")
		}
		return qrRead(c, args[1], *as, *name, *follow, ps)
	}
	return usagef("unknown subcommand 'qr %s'; run 'caravan qr --help'", args[0])
}

func qrShow(c *cli, as, ref, pngFile string, asText bool) error {
	cl, err := c.api()
	if err != nil {
		return err
	}
	var content, label string
	if ref == "" {
		info, err := localapi.Call(c.ctx, cl, localapi.Identity, localapi.NameRequest{Name: as})
		if err != nil {
			return err
		}
		content = qr.ContactText(info.PubKey, info.Relays)
		label = fmt.Sprintf("the contact card of %s (%s)", info.Name, info.NPub)
	} else {
		id, err := parseEventRef(ref)
		if err != nil {
			if _, _, kerr := keys.ParsePublicKey(ref); kerr == nil {
				return usagef("%v; for your own contact card run 'caravan qr show' with no argument", err)
			}
			return usagef("%v", err)
		}
		ev, err := localapi.Call(c.ctx, cl, localapi.Event, localapi.EventRequest{ID: id})
		if err != nil {
			return err
		}
		if content, err = qr.EventText(ev); err != nil {
			var tl *qr.TooLargeError
			if errors.As(err, &tl) {
				return hint(err, "carry it in a bundle file (a USB stick, an SD card), or sync the two nodes when they can connect ('caravan sync --help')")
			}
			return err
		}
		label = fmt.Sprintf("%s by %s (%s of %s bytes)", kindNoun(ev), author(ev.PubKey, c.names()), thousands(len(content)), thousands(qr.MaxEventBytes))
	}
	switch {
	case asText:
		fmt.Fprintln(c.stdout, content)
		return nil
	case pngFile != "":
		b, err := qr.PNG(content)
		if err != nil {
			return err
		}
		if err := os.WriteFile(pngFile, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Wrote %s: %s.\nRead it on another node with 'caravan qr read %s'.\n", pngFile, label, pngFile)
		return nil
	}
	drawing, width, err := qr.Terminal(content)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s:\n%s", capitalize(label), drawing)
	if f, ok := c.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols < width {
			fmt.Fprintf(c.stderr, "The code is %d columns wide and the terminal %d: widen the window, or write a picture with --png FILE.\n", width, cols)
		}
	}
	return nil
}

func qrRead(c *cli, path, as, name string, follow bool, ps *passSource) error {
	content, err := readQR(path)
	if err != nil {
		return err
	}
	p, err := qr.Parse(content)
	if err != nil {
		return qrTextHint(fmt.Errorf("%s: %w", path, err))
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	if ct := p.Contact; ct != nil {
		return qrContact(c, cl, path, ct, as, name, follow, ps)
	}
	ev := p.Event
	if name != "" {
		fmt.Fprintf(c.stderr, "(--name is for contact cards; %s holds an event)\n", path)
	}
	res, err := localapi.Call(c.ctx, cl, localapi.Publish, localapi.EventJSON(ev))
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%s by %s", kindNoun(ev), author(ev.PubKey, c.names()))
	if words := firstWords(ev); words != "" {
		what += fmt.Sprintf(": %q", words)
	}
	ref, _ := nip19.EncodeEvent(ev.ID, nil, ev.PubKey)
	switch {
	case !res.OK:
		err := fmt.Errorf("the event in %s was refused (%s); nothing was stored", path, res.Message)
		if strings.HasPrefix(res.Message, event.Invalid+":") {
			return hint(err, "the code may be damaged, cut or altered; ask for it to be shown again")
		}
		return err
	case strings.Contains(res.Message, "newer version"):
		fmt.Fprintf(c.stdout, "Already held, in a newer version: %s\n    %s\n", what, ref)
	case strings.HasPrefix(res.Message, event.Duplicate+":"):
		fmt.Fprintf(c.stdout, "Already held: %s\n    %s\n", what, ref)
	case event.IsEphemeral(ev.Kind):
		fmt.Fprintf(c.stdout, "Passed on, not stored (kind %d is ephemeral): %s\n", ev.Kind, what)
	default:
		fmt.Fprintf(c.stdout, "Stored %s\n    %s\n", what, ref)
	}
	return nil
}

// qrContact shows a contact card and, given a name, adds it like
// 'caravan contact add'.
func qrContact(c *cli, cl *localapi.Client, path string, ct *qr.Contact, as, name string, follow bool, ps *passSource) error {
	if name == "" {
		fmt.Fprintf(c.stdout, "A contact card: %s\n", ct.PubKey.NPub())
		for _, r := range ct.Relays {
			fmt.Fprintf(c.stdout, "  relay hint: %s\n", sanitize(r))
		}
		if known := knownAs(c, cl, as, ct.PubKey); known != "" {
			fmt.Fprintf(c.stdout, "%s.\n", known)
			return nil
		}
		fmt.Fprintf(c.stdout, "To add them to your contacts: caravan qr read %s --name NAME\n", path)
		return nil
	}
	who := qr.ContactText(ct.PubKey, ct.Relays)
	var added node.Contact
	err := c.withUnlock(ps, as, func() error {
		var err error
		added, err = localapi.Call(c.ctx, cl, localapi.AddPerson, localapi.PersonRequest{As: as, Who: who, Name: name, Follow: follow})
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Added %s: %s\nCompare safety numbers with 'caravan contact verify %s' when you can.\n", sanitize(added.Petname), added.NPub, sanitize(added.Petname))
	return nil
}

// terminalQR draws text as a QR code for a terminal (see qr.Terminal).
func terminalQR(text string) (string, error) {
	s, _, err := qr.Terminal(text)
	return s, err
}

// knownAs says who pk already is to this node: one of its identities or a
// contact of identity as; "" when neither (or when a locked vault cannot
// tell).
func knownAs(c *cli, cl *localapi.Client, as string, pk keys.PublicKey) string {
	if ids, err := localapi.Call(c.ctx, cl, localapi.Identities, localapi.Empty{}); err == nil {
		for _, id := range ids {
			if id.PubKey == pk {
				return fmt.Sprintf("That is you: your identity %s", id.Name)
			}
		}
	}
	people, err := localapi.Call(c.ctx, cl, localapi.People, localapi.AsRequest{As: as})
	if err != nil {
		return ""
	}
	for _, p := range people {
		if p.PubKey == pk {
			if p.Petname == "" {
				return "They are already in your contacts"
			}
			return "You know them as " + sanitize(p.Petname)
		}
	}
	return ""
}

// readQR decodes the first QR code in a PNG or JPEG file.
func readQR(path string) (string, error) {
	text, err := qr.ReadFile(path)
	if errors.Is(err, qr.ErrNoCode) {
		return "", hint(err, "take the photo straight on, close enough that the code fills a good part of the picture")
	}
	return strings.TrimSpace(text), err
}

// qrTextHint adds what to do about a code that held something else.
func qrTextHint(err error) error {
	switch {
	case errors.Is(err, qr.ErrPointer):
		return hint(err, "if this node holds the event, 'caravan get' shows it; otherwise it comes with a sync. To pass the event itself, show it with 'caravan qr show EVENT'")
	case errors.Is(err, qr.ErrSecret):
		return hint(err, "anyone who saw this code can write as its owner: destroy the picture. If it is your own key, 'caravan id import' takes it")
	case errors.Is(err, qr.ErrBadEvent), errors.Is(err, qr.ErrBadKey):
		return hint(err, "the code may be damaged or cut; ask for it to be shown again")
	case errors.Is(err, qr.ErrForeign), errors.Is(err, qr.ErrEmpty):
		return hint(err, "Caravan reads contact cards ('caravan qr show') and signed events ('caravan qr show EVENT')")
	}
	return err
}

// kindNoun names an event for a sentence: "a note", "a report".
func kindNoun(ev *nostr.Event) string {
	switch ev.Kind {
	case event.KindProfile:
		return "a profile"
	case event.KindTextNote:
		return "a note"
	case event.KindFollowList:
		return "a contact list"
	case event.KindDeletion:
		return "a deletion request"
	case event.KindReaction:
		return "a reaction"
	case event.KindReport:
		return "a report"
	}
	return fmt.Sprintf("an event of kind %d", ev.Kind)
}

// firstWords is the start of an event's text, on one line.
func firstWords(ev *nostr.Event) string {
	body := strings.TrimSpace(eventBody(ev))
	line, _, _ := strings.Cut(body, "\n")
	return sanitize(clipText(strings.TrimSpace(line), 60))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// thousands writes n with comma separators: 1,024.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
