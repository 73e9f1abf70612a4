// Package poster makes the poster of a community node: a QR code of the
// address where a phone on the same network opens the phone page, and
// four short lines in each language Caravan speaks, saying what to do,
// what it is, the address to type and the invitation code. It comes as a
// picture (PNG), as a printable page (HTML, A4) and as text for a
// terminal; all three take their words from one catalogue (text.go).
//
// The address is http://HOST:PORT/, and http://HOST:PORT/#invite=CODE
// when the node asks new phones for an invitation code: the phone page
// reads the code from the fragment (query-escaped, as URLSearchParams
// reads it), which never reaches the network. Addresses finds HOST: the
// machine's addresses on its local networks, best first.
//
// The picture is drawn with Noto Sans cut down to Latin, Cyrillic and the
// Kazakh letters (fonts/, under the SIL Open Font License; made by
// scripts/poster-font). Go's own fonts (golang.org/x/image/font/gofont)
// lack ә ғ қ ң ө ұ ү һ, and a poster must look the same whatever fonts
// the machine it is made on has. The printable page carries the same
// fonts, so it prints the same from any browser.
package poster

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/caravan-mesh/caravan/qr"
)

// Poster is what a poster shows.
type Poster struct {
	// URL is the phone page's address, with the invitation code in its
	// fragment when there is one.
	URL string
	// Invite is the invitation code, or "" when the node asks for none.
	Invite string
}

// New is the poster of a phone page served at host (a name or an IP
// address) and port, asking for invite unless it is "".
func New(host string, port int, invite string) Poster {
	u := "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/"
	if invite != "" {
		u += "#invite=" + url.QueryEscape(invite)
	}
	return Poster{URL: u, Invite: invite}
}

// maxHost bounds a host name (DNS allows 253 characters).
const maxHost = 253

// CheckHost says whether host can stand in a poster's address: an IP
// address, or a DNS name of letters, digits, hyphens and dots.
func CheckHost(host string) error {
	if host == "" {
		return errors.New("the address is empty")
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return nil
	}
	if len(host) > maxHost {
		return fmt.Errorf("%q is longer than a host name can be (%d characters)", clip(host), maxHost)
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not an IP address or a host name", clip(host))
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%q is not an IP address or a host name: a host name has only letters, digits, hyphens and dots", clip(host))
			}
		}
	}
	return nil
}

// clip shortens what a person typed for an error message.
func clip(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// Terminal is the poster for a terminal: the QR code drawn with half
// blocks (see qr.Terminal), then each language's lines.
func (p Poster) Terminal() (string, error) {
	drawing, _, err := qr.Terminal(p.URL)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(drawing)
	for _, lang := range Langs {
		b.WriteString("\n")
		for _, line := range p.Lines(lang) {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String(), nil
}
