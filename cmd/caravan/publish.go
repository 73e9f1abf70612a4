package main

import (
	"bufio"
	"fmt"
	"github.com/caravan-mesh/caravan/localapi"
	"io"
	"os"
	"strings"

	"github.com/caravan-mesh/caravan/event"
	"github.com/tidwall/gjson"
)

func init() {
	register(&command{name: "publish", args: "FILE|-", short: "store signed events from a file (one JSON event per line)", run: runPublish, long: `
Reads already signed Nostr events, one JSON object per line (the output of
other Nostr tools, or of 'caravan feed --json', whose lines hold the event
under "event"), validates each and stores it as if it had arrived from a
peer. Reports what was stored, what was already
here and what was refused, with the reason.`})
}

func runPublish(c *cli, args []string) error {
	cmd := lookup("publish")
	fs := c.flags(cmd)
	args, cl, err := c.connect(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	var r io.Reader = c.stdin
	if args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var stored, dup, refused int
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		raw := []byte(text)
		if e := gjson.GetBytes(raw, "event"); e.IsObject() {
			raw = []byte(e.Raw) // a line of 'caravan feed --json'
		}
		ev, err := event.DecodeEvent(raw)
		if err != nil {
			fmt.Fprintf(c.stderr, "line %d: %v\n", line, err)
			refused++
			continue
		}
		res, err := localapi.Call(c.ctx, cl, localapi.Publish, localapi.EventJSON(ev))
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case !res.OK:
			fmt.Fprintf(c.stderr, "line %d: %s refused: %s\n", line, ev.ID, res.Message)
			refused++
		case strings.HasPrefix(res.Message, "duplicate:"):
			dup++
		default:
			stored++
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading events: %w (lines are limited to 1 MiB)", err)
	}
	fmt.Fprintf(c.stdout, "%d stored, %d already here, %d refused.\n", stored, dup, refused)
	if refused > 0 {
		return fmt.Errorf("%d %s refused", refused, plural(refused, "event was", "events were"))
	}
	return nil
}
