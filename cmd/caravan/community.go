package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"

	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/poster"
)

// A community node: 'caravan serve --community' listens on the local
// network, serves the phone page, and prints and writes a poster that
// tells passers-by how to join with their phone's browser.

// communityPort is where a community node listens when nothing says
// otherwise: the relay endpoint's usual port.
const communityPort = "7447"

// The poster's files, in the data directory.
const (
	posterPNG  = "poster.png"
	posterHTML = "poster.html"
)

// communityFlags are serve's flags for a community node.
type communityFlags struct {
	on, invite bool
	address    string
}

func addCommunityFlags(fs *flag.FlagSet) *communityFlags {
	cf := &communityFlags{}
	fs.BoolVar(&cf.on, "community", false, "run as a community node: listen on the local network, serve the phone page, print and write a poster for phones")
	fs.BoolVar(&cf.invite, "invite", false, "with --community: new phones need the invitation code on the poster to write here (made once, kept in config.json)")
	fs.StringVar(&cf.address, "address", "", "with --community: the `HOST` phones reach this node at, for the poster (default: this machine's address on its network)")
	return cf
}

func (cf *communityFlags) check() error {
	if !cf.on {
		switch {
		case cf.invite:
			return usagef("--invite is for a community node: add --community")
		case cf.address != "":
			return usagef("--address names this node on the poster of a community node: add --community")
		}
	}
	if cf.address != "" {
		if err := poster.CheckHost(cf.address); err != nil {
			return usagef("--address: %v (give the IP address or name phones reach this machine at, without http:// or a port)", err)
		}
	}
	return nil
}

// communityListen is where a community node's relay endpoint listens when
// --listen does not say: the configured address if it is beyond loopback
// (the operator chose where), else every address, on the configured port.
func communityListen(configured string) string {
	host, port, err := net.SplitHostPort(configured)
	if err != nil || port == "" {
		return net.JoinHostPort("0.0.0.0", communityPort)
	}
	if ip := net.ParseIP(host); host != "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return configured
	}
	return net.JoinHostPort("0.0.0.0", port)
}

// prepareCommunity readies n to serve as a community node: the phone page
// on for this run (config.json is left as it is), and with --invite an
// invitation code, made and kept in config.json if there is none. made
// says the code is new.
func prepareCommunity(n *node.Node, cf *communityFlags) (made bool, err error) {
	n.Config.PhonePage = true
	if cf.invite {
		if _, made, err = n.EnsureInvite(); err != nil {
			return false, fmt.Errorf("make an invitation code: %w", err)
		}
	}
	return made, nil
}

// showCommunity says where phones join n, which serves, writes the poster
// into the data directory and draws it; or says why phones cannot reach
// the node and what to do.
func showCommunity(w io.Writer, n *node.Node, cf *communityFlags, made bool, interfaces func() ([]poster.Interface, error)) {
	p, others, err := localapi.PhonePoster(n, cf.address, interfaces)
	if err != nil {
		fmt.Fprintf(w, "Community node: the phone page is on, but %v.\n", err)
		switch {
		case errors.Is(err, poster.ErrLoopback):
			fmt.Fprintf(w, "  Leave --listen out (a community node listens on 0.0.0.0:%s), or listen on this machine's\n  address on its network; or, if something forwards phones to it, give that address with --address HOST.\n", communityPort)
		case errors.Is(err, poster.ErrNoNetwork):
			fmt.Fprintf(w, "  Join a Wi-Fi network, or make this machine a hotspot (on Linux: nmcli device wifi hotspot),\n  then start again; or give the address phones reach it at with --address HOST.\n")
		}
		return
	}
	fmt.Fprintf(w, "Community node: phones on this network join with their browser at\n  %s\n", p.URL)
	if len(others) > 0 {
		fmt.Fprintf(w, "  This machine is on other networks too; phones there use:\n")
		for _, o := range others {
			fmt.Fprintf(w, "    %s (%s)\n", o.URL, o.Interface)
		}
		fmt.Fprintf(w, "  If the address above is the wrong one, choose with --address HOST.\n")
	}
	if p.Invite != "" {
		where := "from config.json"
		if made {
			where = "new, kept in config.json"
		}
		fmt.Fprintf(w, "  invitation code: %s (%s; new phones need it to write here)\n", p.Invite, where)
	}
	if err := writePoster(n.Dir, p); err != nil {
		fmt.Fprintf(w, "  The poster could not be written: %v.\n", err)
	} else {
		fmt.Fprintf(w, "  poster to print: %s\n  as a picture:    %s\n", filepath.Join(n.Dir, posterHTML), filepath.Join(n.Dir, posterPNG))
	}
	drawing, err := p.Terminal()
	if err != nil {
		fmt.Fprintf(w, "  The QR code could not be drawn: %v.\n", err)
		return
	}
	fmt.Fprintf(w, "\n%s\n", drawing)
}

// writePoster writes the poster into dir, as a picture and as a page to
// print. They hold the invitation code, so they are the owner's alone.
func writePoster(dir string, p poster.Poster) error {
	b, err := p.PNG()
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, posterPNG), b, 0o600); err != nil {
		return err
	}
	if b, err = p.HTML(); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, posterHTML), b, 0o600)
}
