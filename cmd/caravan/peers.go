package main

import (
	"fmt"
	"time"

	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
)

func init() {
	register(&command{name: "peers", args: "add|list|remove [ws://host:port]", short: "Caravan nodes to keep in sync with while serving", run: func(c *cli, args []string) error {
		return runPeerList(c, "peers", false, args)
	}, long: `
A peer is another Caravan node, reached at its relay endpoint (ws://host:port,
or ws://xyz.onion:7447 through --proxy). While 'caravan serve' runs it keeps a
session open with every peer, reconnecting with backoff.`})
	register(&command{name: "relays", args: "add|list|remove [wss://relay]", short: "public Nostr relays: the bridge to the outside world", run: func(c *cli, args []string) error {
		return runPeerList(c, "relays", true, args)
	}, long: `
Public relays carry your own public events and reports out to the world and
bring in what is addressed to you and what your contacts publish. Nothing this
node carries for others is given to a public relay. NIP-77 is used where the
relay supports it, plain REQ and EVENT where not.`})
	register(&command{name: "policy", short: "show what this node carries for others, and how full it is", run: runPolicy})
}

func runPeerList(c *cli, name string, relays bool, args []string) error {
	cmd := lookup(name)
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print JSON")
	args, cl, err := c.connect(cmd, fs, args, 0, 2)
	if err != nil {
		return err
	}
	verb := "list"
	if len(args) > 0 {
		verb = args[0]
	}
	switch verb {
	case "add", "remove":
		if len(args) != 2 {
			return usagef("%s %s needs an address", name, verb)
		}
		if verb == "remove" {
			if _, err := localapi.Call(c.ctx, cl, localapi.RemovePeer, localapi.PeerRequest{URL: args[1]}); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Removed %s.\n", args[1])
			return nil
		}
		if _, err := node.CheckPeerURL(args[1]); err != nil {
			return usagef("%v", err)
		}
		p, err := localapi.Call(c.ctx, cl, localapi.AddPeer, localapi.PeerRequest{URL: args[1], Relay: relays})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Added %s %s.", p.Kind, p.URL)
		if cl.Node != nil {
			fmt.Fprint(c.stdout, " It is kept in sync while 'caravan serve' runs.")
		}
		fmt.Fprintln(c.stdout)
		return nil
	case "list":
		if len(args) > 1 {
			return usagef("%s list takes no address", name)
		}
	default:
		return usagef("unknown subcommand %q; use add, list or remove", verb)
	}
	ps, err := localapi.Call(c.ctx, cl, localapi.Peers, localapi.Empty{})
	if err != nil {
		return err
	}
	var shown []mesh.Peer
	for _, p := range ps {
		if (p.Kind == "relay") == relays && (p.Configured || !relays) {
			shown = append(shown, p)
		}
	}
	if *asJSON {
		if shown == nil {
			shown = []mesh.Peer{}
		}
		return printJSON(c.stdout, shown)
	}
	if len(shown) == 0 {
		fmt.Fprintf(c.stdout, "None yet. Add one with 'caravan %s add ws://host:port'.\n", name)
		return nil
	}
	for _, p := range shown {
		fmt.Fprintln(c.stdout, peerLine(p))
	}
	return nil
}

func peerLine(p mesh.Peer) string {
	s := fmt.Sprintf("%-40s %-6s", sanitize(p.URL), p.Kind)
	if !p.Configured {
		s += " (met)"
	}
	switch {
	case p.State == "connected" || p.State == "connecting":
		s += " " + p.State
	case p.LastSync.IsZero():
		s += " never synced"
	default:
		s += fmt.Sprintf(" last sync %s ago: %s (received %d, sent %d)", time.Since(p.LastSync).Round(time.Second), sanitize(clipText(p.LastResult, 80)), p.Received, p.Sent)
	}
	return s
}

func runPolicy(c *cli, args []string) error {
	cmd := lookup("policy")
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print JSON")
	_, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	p, err := localapi.Call(c.ctx, cl, localapi.Policy, localapi.Empty{})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, p)
	}
	w := c.stdout
	cfg := p.Config
	fmt.Fprintf(w, "This node carries:\n")
	fmt.Fprintf(w, "  - everything its %d %s write\n", p.Own, plural(p.Own, "identity", "identities"))
	fmt.Fprintf(w, "  - its %d contacts' events", p.Contacts)
	if cfg.FollowHops >= 2 {
		fmt.Fprintf(w, " and their %d contacts'", p.Network)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  - sealed private messages for anyone (carried blindly): %d of %d, %s of %s\n",
		p.Usage.Wraps.Events, cfg.Wraps.Events, humanBytes(p.Usage.Wraps.Bytes), humanBytes(cfg.Wraps.Bytes))
	if !cfg.NoReports {
		fmt.Fprintf(w, "  - reports (kind 30023) and their translations, from anyone\n")
	}
	fmt.Fprintf(w, "  - deletion requests\n")
	fmt.Fprintf(w, "  - the attachments (blobs) of the events it carries, each up to %s, %s in all\n", humanBytes(cfg.MaxBlob), humanBytes(cfg.Blobs))
	fmt.Fprintf(w, "  - other people's events, up to a quota: %d of %d, %s of %s (from the last %s when syncing)\n",
		p.Usage.Strangers.Events, cfg.Strangers.Events, humanBytes(p.Usage.Strangers.Bytes), humanBytes(cfg.Strangers.Bytes),
		time.Duration(cfg.StrangerWindow))
	if !cfg.NoReports {
		fmt.Fprintf(w, "    and their reports: %d of %d, %s of %s\n",
			p.Usage.Reports.Events, cfg.Reports.Events, humanBytes(p.Usage.Reports.Bytes), humanBytes(cfg.Reports.Bytes))
	}
	fmt.Fprintf(w, "    at most %d events and %s from any one of them", cfg.PerStranger.Events, humanBytes(cfg.PerStranger.Bytes))
	if cfg.MinPoW > 0 {
		fmt.Fprintf(w, ", each with at least %d bits of proof of work (NIP-13)", cfg.MinPoW)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "When a quota is full, a new event replaces the weakest (least proof of work, then oldest).\n")
	fmt.Fprintf(w, "The store holds %s of its %s quota; when full, expired events go first, then strangers'\n", humanBytes(p.StoreUsed), humanBytes(p.StoreQuota))
	fmt.Fprintf(w, "events, sealed messages for others, strangers' reports. Your own and your contacts' never.\n")
	if p.Evicted > 0 {
		fmt.Fprintf(w, "%d events were removed to make room or because they expired since the node started.\n", p.Evicted)
	}
	fmt.Fprintf(w, "Drafts never leave this device. Change these in config.json (\"policy\").\n")
	fmt.Fprintf(w, "\nOn each encounter it reconciles, in this order:\n")
	for i, wt := range p.Wants {
		fmt.Fprintf(w, "  %d. %-20s %s\n", i+1, wt.Class, clipText(string(wt.Filter), 90))
	}
	return nil
}

func init() {
	register(&command{name: "lan", args: "[on|off]", short: "look for other nodes on the local network (mDNS), or stop", run: runLAN, long: `
With no argument, says whether this node announces itself and looks for
others on the local network. 'on' and 'off' change that at once while the
node runs, and for every later start (config.json). Turning it off ends the
sessions with neighbours found that way.`})
}

func runLAN(c *cli, args []string) error {
	cmd := lookup("lan")
	fs := c.flags(cmd)
	args, cl, err := c.connect(cmd, fs, args, 0, 1)
	if err != nil {
		return err
	}
	var s node.NodeSettings
	switch optArg(args) {
	case "":
		s, err = localapi.Call(c.ctx, cl, localapi.Settings, localapi.Empty{})
	case "on", "off":
		on := args[0] == "on"
		s, err = localapi.Call(c.ctx, cl, localapi.ChangeSettings, node.NodeSettingsChange{LAN: &on})
	default:
		return usagef("lan takes on or off, not %q", args[0])
	}
	if err != nil {
		return err
	}
	state := "off"
	if s.LAN {
		state = "on"
	}
	fmt.Fprintf(c.stdout, "LAN discovery is %s.", state)
	if s.LAN && cl.Node == nil && !s.LANReachable {
		fmt.Fprint(c.stdout, " The relay endpoint listens on this machine only, so neighbours cannot connect: start serve with --listen 0.0.0.0:7447.")
	}
	if cl.Node != nil {
		fmt.Fprint(c.stdout, " (No node is running: this is what the next 'caravan serve' does.)")
	}
	fmt.Fprintln(c.stdout)
	return nil
}
