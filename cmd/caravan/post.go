package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

func init() {
	register(&command{name: "post", args: "TEXT|-", short: "publish a short public note (kind 1) signed by your identity", run: runPost, long: `
The note is stored durably before this command reports success, and travels
to other nodes at the next encounter. "-" reads the text from standard input.`})
}

func runPost(c *cli, args []string) error {
	cmd := lookup("post")
	fs := c.flags(cmd)
	as := fs.String("as", "", "sign as identity `NAME` (default: the default identity)")
	var tags multiFlag
	fs.Var(&tags, "t", "add a hashtag `TOPIC` (repeatable)")
	ps := addPassFlags(fs, false)
	args, err := c.args(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	text := args[0]
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(c.stdin, 1<<20))
		if err != nil {
			return err
		}
		text = strings.TrimRight(string(b), "\n")
	}
	if strings.TrimSpace(text) == "" {
		return usagef("the note is empty")
	}
	req := localapi.PostRequest{As: *as, Kind: event.KindTextNote, Content: text}
	for _, t := range tags {
		req.Tags = append(req.Tags, nostr.Tag{"t", strings.ToLower(strings.TrimPrefix(t, "#"))})
	}
	cl, err := c.api()
	if err != nil {
		return err
	}
	var ev *nostr.Event
	err = c.withUnlock(ps, *as, func() error {
		ev, err = localapi.Call(c.ctx, cl, localapi.Post, req)
		return err
	})
	if err != nil {
		return err
	}
	note, _ := nip19.EncodeNote(ev.ID)
	fmt.Fprintf(c.stdout, "Posted %s\n", note)
	if cl.Node != nil {
		fmt.Fprintln(c.stdout, "(stored; no node is running, so it travels once 'caravan serve' runs)")
	}
	return nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
