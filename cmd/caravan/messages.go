package main

import (
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
)

func init() {
	register(&command{name: "dm", args: "WHO TEXT|-", short: "send a private message (end-to-end encrypted, carried sealed)", run: runDM, long: `
WHO is a contact's name, an npub or nprofile, or a group's name. The message
is sealed for each recipient (NIP-17: NIP-44 encryption inside a NIP-59 gift
wrap) and for yourself; nodes that carry it learn only that a sealed message
for some key exists. 'caravan chat WHO' shows whether it is queued (no other
node has it yet), carried, or delivered (the recipient's node confirmed).`})
	register(&command{name: "inbox", short: "your conversations, with unread counts", run: runInbox})
	register(&command{name: "chat", args: "WHO", short: "one conversation, oldest first (--follow to stay open)", run: runChat})
	register(&command{name: "receipts", args: "on|off", short: "whether senders learn that their messages reached you", run: runReceipts})
}

func asFlag(c *cli, fs interface {
	String(string, string, string) *string
}) *string {
	return fs.String("as", "", "act as identity `NAME` (default: the default identity)")
}

func runDM(c *cli, args []string) error {
	cmd := lookup("dm")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	file := fs.String("file", "", "send `FILE` (a photo, a PDF) instead of text; it is encrypted first")
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 1, 2)
	if err != nil {
		return err
	}
	req := localapi.DMRequest{As: *as}
	if *file == "" {
		if len(args) != 2 {
			return usagef("dm needs WHO and TEXT (or --file FILE)")
		}
		req.Text = args[1]
		if req.Text == "-" {
			b, err := readAllLimited(c.stdin, 64<<10)
			if err != nil {
				return err
			}
			req.Text = strings.TrimRight(b, "\n")
		}
	} else if len(args) != 1 {
		return usagef("with --file, dm takes only WHO")
	}
	// A group by that name, else a person.
	if gs, err := localapi.Call(c.ctx, cl, localapi.Groups, localapi.AsRequest{As: *as}); err == nil {
		for _, g := range gs {
			if strings.EqualFold(g.Name, args[0]) || g.ID == args[0] {
				req.Group = g.Name
			}
		}
	}
	if req.Group == "" {
		req.To = []string{args[0]}
	}
	var m chat.Message
	err = c.withUnlock(ps, *as, func() error {
		if *file != "" && req.File == nil {
			data, err := os.ReadFile(*file)
			if err != nil {
				return err
			}
			mt := mime.TypeByExtension(filepath.Ext(*file))
			if mt == "" {
				mt = http.DetectContentType(data)
			}
			f, err := cl.UploadFile(c.ctx, data, mt, filepath.Base(*file))
			if err != nil {
				return err
			}
			req.File = &f
		}
		m, err = localapi.Call(c.ctx, cl, localapi.DM, req)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Sealed for %d %s and queued", len(m.Members)-1, plural(len(m.Members)-1, "recipient", "recipients"))
	if cl.Node != nil {
		fmt.Fprint(c.stdout, "; it leaves with the next sync ('caravan serve' or 'caravan sync')")
	}
	fmt.Fprintln(c.stdout, ".")
	return nil
}

func readAllLimited(r interface{ Read([]byte) (int, error) }, n int) (string, error) {
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	for len(buf) <= n {
		k, err := r.Read(tmp)
		buf = append(buf, tmp[:k]...)
		if err != nil {
			break
		}
	}
	if len(buf) > n {
		return "", fmt.Errorf("the message is longer than %d bytes", n)
	}
	return string(buf), nil
}

func runInbox(c *cli, args []string) error {
	cmd := lookup("inbox")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	asJSON := fs.Bool("json", false, "print JSON")
	ps := addPassFlags(fs, false)
	_, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	var convs []chat.Conversation
	if err := c.withUnlock(ps, *as, func() error {
		convs, err = localapi.Call(c.ctx, cl, localapi.Inbox, localapi.AsRequest{As: *as})
		return err
	}); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, convs)
	}
	if len(convs) == 0 {
		fmt.Fprintln(c.stdout, "No messages yet. Write with 'caravan dm NAME \"text\"'.")
		return nil
	}
	// Someone who is not a contact (a request) is marked by where they
	// stand: followed by N contacts, or a stranger.
	var pair []string
	for _, cv := range convs {
		if len(cv.Members) == 2 && len(pair) < 1000 {
			pair = append(pair, cv.Members...)
		}
	}
	trust := map[string]node.Trust{}
	if len(pair) > 0 {
		trust, _ = localapi.Call(c.ctx, cl, localapi.Trust, localapi.TrustRequest{PubKeys: pair})
	}
	for _, cv := range convs {
		unread := ""
		if cv.Unread > 0 {
			unread = fmt.Sprintf(" (%d unread)", cv.Unread)
		}
		if len(cv.Members) == 2 {
			for _, k := range cv.Members {
				if t := trust[k]; t.Level == node.TrustFollowed || t.Level == node.TrustStranger {
					unread = trustMark(t) + unread
				}
			}
		}
		last := cv.Last.Text
		if cv.Last.File != nil {
			last = "[file] " + cv.Last.File.Name
		}
		fmt.Fprintf(c.stdout, "%s%s\n    %s  %s\n", sanitize(cv.Title), unread,
			time.Unix(cv.Last.At, 0).Local().Format("2006-01-02 15:04"), sanitize(clipText(last, 70)))
	}
	return nil
}

func runChat(c *cli, args []string) error {
	cmd := lookup("chat")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	follow := fs.Bool("follow", false, "stay open and show new messages as they arrive")
	asJSON := fs.Bool("json", false, "print one JSON message per line")
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	names := c.peopleNames(cl, *as)
	show := func(m chat.Message) {
		if *asJSON {
			printJSONLine(c.stdout, m)
			return
		}
		printMessage(c, m, names)
	}
	if *follow {
		if cl.Node != nil {
			return hint(fmt.Errorf("no node is running, so nothing new can arrive"), "start one with 'caravan serve', then follow the chat")
		}
		return c.withUnlock(ps, *as, func() error { return cl.FollowChat(c.ctx, *as, args[0], show) })
	}
	var r localapi.ChatResponse
	if err := c.withUnlock(ps, *as, func() error {
		r, err = localapi.Call(c.ctx, cl, localapi.Chat, localapi.ChatRequest{As: *as, With: args[0]})
		return err
	}); err != nil {
		return err
	}
	if len(r.Messages) == 0 && !*asJSON {
		fmt.Fprintln(c.stdout, "No messages in this conversation yet.")
	}
	for _, m := range r.Messages {
		show(m)
	}
	return nil
}

func printMessage(c *cli, m chat.Message, names func(string) string) {
	who := names(m.From)
	if m.Outgoing {
		who = "you"
	}
	text := m.Text
	if m.File != nil {
		text = fmt.Sprintf("[file %s, %s, %s]", m.File.Name, m.File.Type, humanBytes(int64(m.File.Size)))
	}
	state := ""
	if m.Outgoing {
		state = "  [" + m.State
		if m.State == chat.Delivered && len(m.Members) > 2 {
			state += fmt.Sprintf(" to %d of %d", len(m.DeliveredTo), len(m.Members)-1)
		}
		state += "]"
	}
	fmt.Fprintf(c.stdout, "%s  %s: %s%s\n", time.Unix(m.At, 0).Local().Format("2006-01-02 15:04"), sanitize(who), sanitize(text), state)
	if m.Warning != "" {
		fmt.Fprintf(c.stdout, "    WARNING: %s\n", sanitize(m.Warning))
	}
}

// peopleNames maps keys to petnames for display.
func (c *cli) peopleNames(cl *localapi.Client, as string) func(string) string {
	names := map[string]string{}
	if ps, err := localapi.Call(c.ctx, cl, localapi.People, localapi.AsRequest{As: as}); err == nil {
		for _, p := range ps {
			if p.Petname != "" {
				n := p.Petname
				if p.Verified {
					n += " ✓"
				}
				names[p.PubKey.Hex()] = n
			}
		}
	}
	return func(k string) string {
		if n, ok := names[k]; ok {
			return n
		}
		return keys.PublicKey(k).Short()
	}
}

func runReceipts(c *cli, args []string) error {
	cmd := lookup("receipts")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	on := args[0] == "on"
	if !on && args[0] != "off" {
		return usagef("receipts takes on or off")
	}
	if err := c.withUnlock(ps, *as, func() error {
		_, err := localapi.Call(c.ctx, cl, localapi.SetReceipts, localapi.ReceiptsRequest{As: *as, On: on})
		return err
	}); err != nil {
		return err
	}
	if on {
		fmt.Fprintln(c.stdout, "Senders will see when their messages reach you.")
	} else {
		fmt.Fprintln(c.stdout, "Receipts are off: senders will see their messages as carried, never as delivered.")
	}
	return nil
}
