package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/caravan-mesh/caravan/localapi"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nip19safe"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

func init() {
	register(&command{name: "feed", short: "show recent events held by this node, newest first", run: runFeed, long: `
Each author is marked by where they stand in your follow graph: contact,
followed by N contacts (people your contacts follow), or stranger.
--order trust shows your own and your contacts' events first, then those
of people followed by more of your contacts, then strangers'; newest first
within each.`})
	register(&command{name: "get", args: "nevent|note|HEX", short: "show one event by its id", run: runGet})
}

func runFeed(c *cli, args []string) error {
	cmd := lookup("feed")
	fs := c.flags(cmd)
	limit := fs.Int("limit", 20, "show at most `N` events")
	var kinds, authors multiFlag
	fs.Var(&kinds, "kind", "only events of kind `K` (repeatable)")
	fs.Var(&authors, "author", "only events by `NPUB` (repeatable)")
	since := fs.Duration("since", 0, "only events from the last `DURATION` (e.g. 24h)")
	order := fs.String("order", "time", "`time` (newest first) or trust (contacts first, strangers last)")
	asJSON := fs.Bool("json", false, `print one JSON object per line, for scripts: {"event": ..., "trust": ...}`)
	args, err := c.args(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	if *limit <= 0 {
		return usagef("--limit must be positive")
	}
	o, err := node.ParseOrder(*order)
	if err != nil {
		return usagef("--order: %v", err)
	}
	f := nostr.Filter{Limit: *limit}
	for _, k := range kinds {
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || n > 65535 {
			return usagef("--kind %q: a kind is a number from 0 to 65535", k)
		}
		f.Kinds = append(f.Kinds, n)
	}
	for _, a := range authors {
		pk, _, err := keys.ParsePublicKey(a)
		if err != nil {
			return usagef("--author: %v", err)
		}
		f.Authors = append(f.Authors, pk.Hex())
	}
	if *since > 0 {
		t := nostr.Timestamp(time.Now().Add(-*since).Unix())
		f.Since = &t
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	items, err := localapi.Call(c.ctx, cl, localapi.Feed, localapi.FeedOf(f, o))
	if err != nil {
		return err
	}
	if *asJSON {
		for _, it := range items {
			printJSONLine(c.stdout, it)
		}
		return nil
	}
	if len(items) == 0 {
		fmt.Fprintln(c.stdout, "Nothing here yet. Post with 'caravan post', or connect to other nodes.")
		return nil
	}
	names := c.names()
	for _, it := range items {
		printEvent(c.stdout, it.Event, names, it.Trust)
	}
	return nil
}

func runGet(c *cli, args []string) error {
	cmd := lookup("get")
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print the event as JSON")
	args, err := c.args(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := parseEventRef(args[0])
	if err != nil {
		return usagef("%v", err)
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	ev, err := localapi.Call(c.ctx, cl, localapi.Event, localapi.EventRequest{ID: id})
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := ev.MarshalJSON()
		if err != nil {
			return err
		}
		var out bytes.Buffer
		json.Indent(&out, b, "", "  ")
		fmt.Fprintln(c.stdout, out.String())
		return nil
	}
	var tr node.Trust
	if ts, err := localapi.Call(c.ctx, cl, localapi.Trust, localapi.TrustRequest{PubKeys: []string{ev.PubKey}}); err == nil {
		tr = ts[ev.PubKey]
	}
	printEvent(c.stdout, ev, c.names(), tr)
	return nil
}

// parseEventRef reads an event id as hex, note or nevent (with or without
// "nostr:").
func parseEventRef(s string) (string, error) {
	s = strings.TrimSpace(s)
	if h := strings.ToLower(s); event.IsHexID(h) {
		return h, nil
	}
	prefix, v, err := nip19safe.Decode(s)
	if err != nil {
		return "", fmt.Errorf("%q is not an event id: give a note1..., nevent1... or 64 hex characters", clipText(s, 30))
	}
	switch prefix {
	case "note":
		return v.(string), nil
	case "nevent":
		return v.(nostr.EventPointer).ID, nil
	}
	return "", fmt.Errorf("%q is an %s, not an event id", clipText(s, 30), prefix)
}

// names maps hex pubkeys to what the user calls them: their own identity
// names and their default identity's petnames.
func (c *cli) names() map[string]string {
	names := map[string]string{}
	cl, err := c.api()
	if err != nil {
		return names
	}
	if cs, err := localapi.Call(c.ctx, cl, localapi.Contacts, localapi.AsRequest{As: ""}); err == nil {
		for _, ct := range cs {
			if ct.Petname != "" {
				names[ct.PubKey.Hex()] = ct.Petname
			}
		}
	}
	if ids, err := localapi.Call(c.ctx, cl, localapi.Identities, localapi.Empty{}); err == nil {
		for _, id := range ids {
			names[id.PubKey.Hex()] = id.Name + " (you)"
		}
	}
	return names
}

func author(pk string, names map[string]string) string {
	short := keys.PublicKey(pk).Short()
	if n, ok := names[pk]; ok {
		return n + " " + short
	}
	return short
}

// trustMark is what follows an author's name: "(contact)", "(followed by
// 3 contacts)", "(stranger)"; nothing for one's own identities, which
// their names already mark, or when the standing is unknown.
func trustMark(t node.Trust) string {
	if t.Level == "" || t.Level == node.TrustOwn {
		return ""
	}
	return " (" + t.String() + ")"
}

func printEvent(w io.Writer, ev *nostr.Event, names map[string]string, t node.Trust) {
	when := ev.CreatedAt.Time().Local().Format("2006-01-02 15:04")
	fmt.Fprintf(w, "%s  %s%s  %s\n", when, author(ev.PubKey, names), trustMark(t), describeKind(ev))
	if body := eventBody(ev); body != "" {
		for _, line := range strings.Split(body, "\n") {
			fmt.Fprintf(w, "    %s\n", sanitize(line))
		}
	}
	ref, _ := nip19.EncodeEvent(ev.ID, nil, ev.PubKey)
	fmt.Fprintf(w, "    %s\n\n", ref)
}

func describeKind(ev *nostr.Event) string {
	switch ev.Kind {
	case event.KindProfile:
		return "updated their profile"
	case event.KindTextNote:
		return "note"
	case event.KindFollowList:
		n := 0
		for _, t := range ev.Tags {
			if len(t) >= 2 && t[0] == "p" {
				n++
			}
		}
		return fmt.Sprintf("contact list (%d contacts)", n)
	case event.KindDeletion:
		return "deletion request"
	case event.KindReaction:
		return "reaction"
	case event.KindGiftWrap:
		return "private message (sealed; only its recipient can read it)"
	case event.KindReport:
		return "report"
	}
	return fmt.Sprintf("kind %d", ev.Kind)
}

func eventBody(ev *nostr.Event) string {
	switch ev.Kind {
	case event.KindProfile, event.KindFollowList, event.KindGiftWrap:
		return ""
	case event.KindReport:
		title := ""
		for _, t := range ev.Tags {
			if len(t) >= 2 && t[0] == "title" {
				title = t[1]
			}
		}
		return title + "\n" + clipText(ev.Content, 280)
	}
	return clipText(ev.Content, 2000)
}

// sanitize strips terminal control characters, so hostile content cannot
// move the cursor, change colours or retitle the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '�'
		}
		return r
	}, s)
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
