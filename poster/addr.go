package poster

import (
	"errors"
	"net"
	"slices"
	"strings"
)

// Why Addresses found no address for phones.
var (
	// ErrLoopback: the server listens on a loopback address, which no
	// other machine can reach.
	ErrLoopback = errors.New("the relay endpoint listens on this machine only")
	// ErrNoNetwork: no interface that is up has an IPv4 address other
	// machines could reach.
	ErrNoNetwork = errors.New("this machine has no address on a network that phones could reach")
)

// Interface is a network interface as Addresses sees it.
type Interface struct {
	Name  string
	Flags net.Flags
	Addrs []net.IP
}

// SystemInterfaces lists this machine's network interfaces.
func SystemInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifs))
	for _, i := range ifs {
		addrs, err := i.Addrs()
		if err != nil {
			continue // one unreadable interface leaves the others usable
		}
		it := Interface{Name: i.Name, Flags: i.Flags}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				it.Addrs = append(it.Addrs, n.IP)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// Address is one address at which phones may reach this machine.
type Address struct {
	Host      string // an IP address
	Interface string // the interface that has it ("" when the server listens on it alone)
}

// Addresses lists where phones on a local network may reach a server
// that listens on listen, best first:
//
//   - listening on one address (not a loopback one): that address;
//   - on a loopback address: none, with ErrLoopback;
//   - on all addresses (0.0.0.0 or ::): the IPv4 addresses of the
//     interfaces that are up, except loopback and link-local ones
//     (169.254.0.0/16, which a phone does not type). Private addresses
//     (192.168/16, 10/8, 172.16/12: a Wi-Fi network, a hotspot) come
//     first, wireless interfaces before wired ones, and last the
//     interfaces that are virtual or reach other networks (containers,
//     virtual machines, VPNs, point-to-point links). None: ErrNoNetwork.
//
// Phones type IPv4 addresses; IPv6 ones are left out.
func Addresses(listen net.IP, ifaces []Interface) ([]Address, error) {
	switch {
	case listen.IsLoopback():
		return nil, ErrLoopback
	case listen != nil && !listen.IsUnspecified():
		return []Address{{Host: listen.String()}}, nil
	}
	type scored struct {
		Address
		score int
	}
	var found []scored
	seen := map[string]bool{}
	for _, it := range ifaces {
		if it.Flags&net.FlagUp == 0 || it.Flags&net.FlagLoopback != 0 {
			continue
		}
		for _, ip := range it.Addrs {
			ip4 := ip.To4()
			if ip4 == nil || ip4.IsLoopback() || ip4.IsLinkLocalUnicast() || ip4.IsMulticast() || ip4.IsUnspecified() || seen[ip4.String()] {
				continue
			}
			seen[ip4.String()] = true
			score := 0
			if ip4.IsPrivate() {
				score += 4
			}
			if wireless(it.Name) {
				score++
			}
			if virtual(it.Name) || it.Flags&net.FlagPointToPoint != 0 {
				score -= 8
			}
			found = append(found, scored{Address{Host: ip4.String(), Interface: it.Name}, score})
		}
	}
	if len(found) == 0 {
		return nil, ErrNoNetwork
	}
	slices.SortStableFunc(found, func(a, b scored) int { return b.score - a.score })
	out := make([]Address, len(found))
	for i, f := range found {
		out[i] = f.Address
	}
	return out, nil
}

// wireless says whether an interface's name is a Wi-Fi one's (Linux:
// wlan0, wlp2s0; the hotspot NetworkManager makes is on one).
func wireless(name string) bool { return strings.HasPrefix(name, "wl") }

// virtualPrefixes name interfaces phones on the local network do not
// reach: container and VM bridges, VPNs and tunnels.
var virtualPrefixes = []string{"docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "lxcbr", "lxdbr", "cni", "flannel",
	"cali", "podman", "tun", "tap", "wg", "tailscale", "zt", "utun", "ppp", "ipsec", "nordlynx", "vEthernet"}

func virtual(name string) bool {
	for _, p := range virtualPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
