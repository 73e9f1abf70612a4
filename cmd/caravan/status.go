package main

import (
	"fmt"
	"github.com/caravan-mesh/caravan/localapi"
	"sort"

	"github.com/caravan-mesh/caravan/node"
)

func init() {
	register(&command{name: "status", short: "show the node: store size, events by kind, identities, addresses", run: runStatus})
	register(&command{name: "version", short: "print the version", run: func(c *cli, args []string) error {
		fmt.Fprintf(c.stdout, "caravan %s\n", node.VersionString())
		return nil
	}})
}

func runStatus(c *cli, args []string) error {
	cmd := lookup("status")
	fs := c.flags(cmd)
	asJSON := fs.Bool("json", false, "print JSON")
	args, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	st, err := localapi.Call(c.ctx, cl, localapi.Status, localapi.Empty{})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, st)
	}
	w := c.stdout
	fmt.Fprintf(w, "Caravan %s\n", st.Version)
	fmt.Fprintf(w, "Data directory: %s\n", st.DataDir)
	if st.Serving {
		fmt.Fprintf(w, "Node:           running since %s\n", st.Started.Local().Format("2006-01-02 15:04"))
		fmt.Fprintf(w, "Relay endpoint: %s (%d connected)\n", st.Relay, st.Connections)
		fmt.Fprintf(w, "Local API:      %s\n", st.API)
		if st.LAN {
			fmt.Fprintf(w, "LAN discovery:  on (announcing this node and looking for others by mDNS)\n")
		} else {
			fmt.Fprintf(w, "LAN discovery:  off\n")
		}
	} else {
		fmt.Fprintf(w, "Node:           not running (start it with 'caravan serve')\n")
	}
	fmt.Fprintf(w, "Store:          %d events, %s on disk", st.Store.Events, humanBytes(st.Store.Bytes))
	if st.Store.Versions > 0 {
		fmt.Fprintf(w, ", %d earlier versions", st.Store.Versions)
	}
	fmt.Fprintln(w)
	kinds := make([]int, 0, len(st.Store.ByKind))
	for k := range st.Store.ByKind {
		kinds = append(kinds, k)
	}
	sort.Ints(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  kind %-6d %8d\n", k, st.Store.ByKind[k])
	}
	if p, err := localapi.Call(c.ctx, cl, localapi.Policy, localapi.Empty{}); err == nil {
		fmt.Fprintf(w, "Carries:        own events, %d contacts and %d of their contacts, reports; others' sealed messages %d/%d, strangers' events %d/%d ('caravan policy')\n",
			p.Contacts, p.Network, p.Usage.Wraps.Events, p.Config.Wraps.Events, p.Usage.Strangers.Events, p.Config.Strangers.Events)
	}
	if ps, err := localapi.Call(c.ctx, cl, localapi.Peers, localapi.Empty{}); err == nil && len(ps) > 0 {
		fmt.Fprintf(w, "Peers:\n")
		for _, p := range ps {
			fmt.Fprintf(w, "  %s\n", peerLine(p))
		}
	}
	fmt.Fprintf(w, "Identities:\n")
	if len(st.Identities) == 0 {
		fmt.Fprintf(w, "  none yet ('caravan id new NAME')\n")
	}
	for _, id := range st.Identities {
		fmt.Fprintf(w, "  %s%s  %s  %s\n", id.Name, defaultMark(id), id.NPub, identityState(id))
	}
	return nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
