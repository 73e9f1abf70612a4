package mesh

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/mdns"
)

// LAN discovery: a serving node announces itself by mDNS (DNS-SD) as
//
//	<node id>._caravan._tcp.local.  port <relay port>  TXT "v=1" "id=<node id>"
//
// and browses for others (often at first, then every 30 seconds). The node id is random, kept in
// the data directory, and unrelated to any identity, so the announcement
// says "a Caravan node is here" and nothing about who runs it. Of two nodes
// that find each other, the one with the smaller id connects, so each pair
// holds one session.
const lanService = "_caravan._tcp"

// lanAddrs lists this host's non-loopback IPv4 addresses.
func lanAddrs() []net.IP {
	var out []net.IP
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				out = append(out, ipn.IP.To4())
			}
		}
	}
	return out
}

// MDNS is LAN discovery by mDNS (DNS-SD): it announces this node on the
// local network and finds the others that do.
type MDNS struct{}

// Discover implements Discoverer.
func (MDNS) Discover(ctx context.Context, self Self, out chan<- []Found) error {
	id := self.ID
	quiet := log.New(io.Discard, "", 0)
	a, ok := self.Relay.(*net.TCPAddr)
	if !ok || a.Port == 0 {
		return fmt.Errorf("the relay endpoint has no TCP port to announce")
	}
	port := a.Port
	ips := lanAddrs()
	if len(ips) == 0 {
		return fmt.Errorf("no network interface with an IPv4 address to announce on")
	}
	svc, err := mdns.NewMDNSService(id, lanService, "local.", id+".local.", port, ips, []string{"v=1", "id=" + id})
	if err != nil {
		return fmt.Errorf("mDNS service: %w", err)
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: svc, Logger: quiet})
	if err != nil {
		return fmt.Errorf("mDNS announce: %w", err)
	}
	defer srv.Shutdown()
	self.Logf("announcing this node on the local network (mDNS %s, port %d)", lanService, port)

	seen := map[string]time.Time{} // url -> last seen
	last := ""
	// Look often at first (nodes that start together miss each other's
	// first announcements), then every 30 seconds.
	every := 2 * time.Second
	for {
		entries := make(chan *mdns.ServiceEntry, 32)
		go func() {
			mdns.QueryContext(ctx, &mdns.QueryParam{Service: lanService, Domain: "local", Timeout: 3 * time.Second,
				Entries: entries, DisableIPv6: true, Logger: quiet})
			close(entries)
		}()
		for e := range entries {
			if u, ok := lanPeer(id, e.InfoFields, e.AddrV4, e.Port); ok {
				seen[u] = time.Now()
			}
		}
		var set []Found
		var keys []string
		for u, t := range seen {
			if time.Since(t) > 2*time.Minute {
				delete(seen, u)
				continue
			}
			keys = append(keys, u)
		}
		if k := strings.Join(sortStrings(keys), " "); k != last {
			last = k
			self.Logf("LAN peers: %v", keys)
			for _, u := range keys {
				set = append(set, Found{URL: u})
			}
			select {
			case out <- set:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
		every = min(every*2, 30*time.Second)
	}
}

// lanPeer reads an answer from the local network (its TXT fields, IPv4
// address and port): the address of a node to connect to, unless it is
// this node (id) or the other node is the one to connect (the larger id
// connects).
func lanPeer(id string, txt []string, addr net.IP, port int) (string, bool) {
	peer := ""
	for _, f := range txt {
		if v, ok := strings.CutPrefix(f, "id="); ok {
			peer = v
		}
	}
	ip := addr.To4()
	if peer == "" || peer == id || ip == nil || id > peer || port <= 0 || port > 65535 {
		return "", false
	}
	return "ws://" + net.JoinHostPort(ip.String(), strconv.Itoa(port)), true
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
