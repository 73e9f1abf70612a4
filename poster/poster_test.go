package poster

import (
	"bytes"
	"errors"
	"image/png"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/caravan-mesh/caravan/qr"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// widest is a poster whose variable parts are as wide as they get on a
// LAN: the longest IPv4 address and port, and an invitation code of the
// widest letter of the alphabet node.EnsureInvite draws from.
var widest = New("192.168.100.200", 65535, "WWWWWWWW")

// kazakh are the letters of the Kazakh alphabet beyond Russian's.
const kazakh = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"

func TestURL(t *testing.T) {
	for _, c := range []struct {
		host   string
		port   int
		invite string
		want   string
	}{
		{"192.168.1.23", 7447, "", "http://192.168.1.23:7447/"},
		{"192.168.1.23", 7447, "K7PMQ2XD", "http://192.168.1.23:7447/#invite=K7PMQ2XD"},
		{"cafe.local", 80, "", "http://cafe.local:80/"},
		{"fd00::1", 7447, "", "http://[fd00::1]:7447/"},
		// A code typed by hand into config.json: escaped as
		// URLSearchParams reads it.
		{"10.42.0.1", 7447, "tea & cake+1", "http://10.42.0.1:7447/#invite=tea+%26+cake%2B1"},
	} {
		if got := New(c.host, c.port, c.invite).URL; got != c.want {
			t.Errorf("New(%q, %d, %q).URL = %q, want %q", c.host, c.port, c.invite, got, c.want)
		}
	}
}

func TestCheckHost(t *testing.T) {
	for _, ok := range []string{"192.168.1.23", "10.42.0.1", "fd00::1", "[fd00::1]", "cafe.local", "node-1.example.org", "x"} {
		if err := CheckHost(ok); err != nil {
			t.Errorf("CheckHost(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "<script>", "-x.local", "x-.local", "a..b", "http://x", "x:7447", "кафе.local", strings.Repeat("a", 64) + ".local", strings.Repeat("a.", 130)} {
		if err := CheckHost(bad); err == nil {
			t.Errorf("CheckHost(%q) accepted it", bad)
		}
	}
}

// TestFontsHaveEveryLetter: every letter the poster writes, and the whole
// Russian and Kazakh alphabets, have a glyph in both embedded fonts; and
// Go's own font still lacks the Kazakh letters, which is why the poster
// carries a font of its own.
func TestFontsHaveEveryLetter(t *testing.T) {
	var need []rune
	for r := 'А'; r <= 'я'; r++ {
		need = append(need, r)
	}
	need = append(need, []rune("Ёё"+kazakh)...)
	for _, lang := range Langs {
		for _, line := range widest.Lines(lang) {
			need = append(need, []rune(line)...)
		}
	}
	slices.Sort(need)
	need = slices.Compact(need)
	for name, ttf := range map[string][]byte{"regular": regularTTF, "bold": boldTTF} {
		if missing := missingGlyphs(t, ttf, need); missing != "" {
			t.Errorf("the %s font has no glyph for %q", name, missing)
		}
	}
	if missingGlyphs(t, goregular.TTF, []rune(kazakh)) == "" {
		t.Errorf("Go's font now has every Kazakh letter: the poster could draw with it, and drop fonts/")
	}
}

func missingGlyphs(t *testing.T, ttf []byte, runes []rune) string {
	t.Helper()
	f, err := sfnt.Parse(ttf)
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	var missing []rune
	for _, r := range runes {
		if unicode.IsSpace(r) {
			continue
		}
		i, err := f.GlyphIndex(&buf, r)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			missing = append(missing, r)
		}
	}
	return string(missing)
}

// TestLinesFitThePicture measures every line with the font it is drawn
// in: each fits between the picture's margins at its full size, and the
// whole poster fits on the page.
func TestLinesFitThePicture(t *testing.T) {
	room := Width - 2*margin
	check := func(s string, bold bool, size float64) {
		w, err := textWidth(bold, size, s)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%4d of %d px: %s", w, room, s)
		if w > room {
			t.Errorf("%q is %d pixels wide at %v px, more than the %d between the margins", s, w, size, room)
		}
	}
	check(widest.URL, true, urlSize)
	for _, lang := range Langs {
		for i, line := range widest.Lines(lang) {
			if i == 0 {
				check(line, true, joinSize)
			} else {
				check(line, false, lineSize)
			}
		}
	}
	_, bottom, err := widest.draw()
	if err != nil {
		t.Fatal(err)
	}
	if bottom > Height-margin {
		t.Errorf("the poster reaches row %d, past the bottom margin at %d", bottom, Height-margin)
	}
}

// TestLongHostShrinks: a host name given by hand that is too long for a
// line is drawn smaller rather than cut.
func TestLongHostShrinks(t *testing.T) {
	long := New(strings.Repeat("community-node.", 6)+"example.org", 7447, "")
	f, err := fitted(long.URL, true, urlSize)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Metrics().Height.Ceil() >= urlSize {
		t.Errorf("the long address was not drawn smaller")
	}
	if _, _, err := long.draw(); err != nil {
		t.Fatal(err)
	}
}

// TestNoEnglishLeaks: no line of another language is the English one,
// and none holds an English word; Russian and Kazakh lines have no Latin
// letters but the name Caravan's, the address's and the code's.
func TestNoEnglishLeaks(t *testing.T) {
	english := widest.Lines("en")
	// The English lines' words, less those Spanish writes the same.
	words := map[string]bool{}
	for _, line := range english {
		for _, w := range regexp.MustCompile(`[A-Za-z']+`).FindAllString(strings.ReplaceAll(line, widest.URL, ""), -1) {
			words[strings.ToLower(w)] = true
		}
	}
	for _, same := range []string{"caravan", "internet", "wwwwwwww"} {
		delete(words, same)
	}
	for _, lang := range Langs[1:] {
		for i, line := range widest.Lines(lang) {
			if line == english[i] {
				t.Errorf("%s line %d is the English one: %q", lang, i+1, line)
			}
			rest := strings.NewReplacer(widest.URL, "", widest.Invite, "", "Caravan", "").Replace(line)
			for _, w := range regexp.MustCompile(`[\p{L}']+`).FindAllString(rest, -1) {
				if words[strings.ToLower(w)] {
					t.Errorf("%s line %d has the English word %q: %q", lang, i+1, w, line)
				}
			}
			if lang == "ru" || lang == "kk" {
				if m := regexp.MustCompile(`[A-Za-z]+`).FindString(rest); m != "" {
					t.Errorf("%s line %d has Latin letters %q: %q", lang, i+1, m, line)
				}
			}
		}
	}
	for _, lang := range Langs {
		if _, ok := catalogue[lang]; !ok {
			t.Errorf("the catalogue has no %s", lang)
		}
	}
}

func TestLinesWithoutInvite(t *testing.T) {
	p := New("10.42.0.1", 7447, "")
	for _, lang := range Langs {
		lines := p.Lines(lang)
		if len(lines) != 3 {
			t.Errorf("%s: %d lines without an invitation, want 3: %q", lang, len(lines), lines)
		}
		if !strings.HasSuffix(lines[2], " http://10.42.0.1:7447/") {
			t.Errorf("%s: the address line is %q", lang, lines[2])
		}
	}
	if got, want := widest.Lines("de"), widest.Lines("en"); !slices.Equal(got, want) {
		t.Errorf("a language the poster does not speak gets %q, want English", got)
	}
}

// TestPNGDecodes reads the picture's QR code back with gozxing.
func TestPNGDecodes(t *testing.T) {
	for _, p := range []Poster{New("192.168.1.23", 7447, "K7PMQ2XD"), New("10.42.0.1", 7447, ""), widest} {
		b, err := p.PNG()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got.X != Width || got.Y != Height {
			t.Errorf("the picture is %v, want %dx%d", got, Width, Height)
		}
		text, err := qr.Decode(img)
		if err != nil {
			t.Fatalf("the poster's QR code does not read: %v", err)
		}
		if text != p.URL {
			t.Errorf("the QR code says %q, want %q", text, p.URL)
		}
		t.Logf("%s: %d bytes", p.URL, len(b))
	}
}

// TestHTML: the printable page has every language's lines, the address,
// an A4 page rule, a QR code, and fetches nothing: no src or href, no
// script.
func TestHTML(t *testing.T) {
	p := New("192.168.1.23", 7447, "K7PMQ2XD")
	b, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	t.Logf("%d bytes", len(b))
	for _, lang := range Langs {
		if !strings.Contains(page, `lang="`+lang+`"`) {
			t.Errorf("no section in %s", lang)
		}
		for _, line := range p.Lines(lang) {
			if !strings.Contains(page, strings.ReplaceAll(line, "'", "&#39;")) {
				t.Errorf("the page lacks the %s line %q", lang, line)
			}
		}
	}
	for _, want := range []string{"size: A4", "<svg class=\"qr\"", "@font-face", "data:font/ttf;base64,", "default-src 'none'"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", " src=", " href=", "@import"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %q: it must stand alone", bad)
		}
	}
}

// TestHTMLEscapes: an invitation code typed by hand into config.json is
// text on the page, never markup.
func TestHTMLEscapes(t *testing.T) {
	p := New("10.42.0.1", 7447, `<img src=x onerror=alert(1)>`)
	b, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "<img") {
		t.Errorf("the code was written as markup:\n%s", b)
	}
}

func TestTerminal(t *testing.T) {
	p := New("192.168.1.23", 7447, "K7PMQ2XD")
	s, err := p.Terminal()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Langs {
		for _, line := range p.Lines(lang) {
			if !strings.Contains(s, line) {
				t.Errorf("the terminal poster lacks %q", line)
			}
		}
	}
	if !strings.Contains(s, "█") {
		t.Errorf("no QR code drawn")
	}
}

func TestAddresses(t *testing.T) {
	up := net.FlagUp | net.FlagBroadcast | net.FlagRunning
	ip := net.ParseIP
	lo := Interface{"lo", net.FlagUp | net.FlagLoopback, []net.IP{ip("127.0.0.1"), ip("::1")}}
	eth := Interface{"enp3s0", up, []net.IP{ip("192.168.1.23"), ip("fe80::1")}}
	wifi := Interface{"wlp2s0", up, []net.IP{ip("10.42.0.1")}}
	docker := Interface{"docker0", up, []net.IP{ip("172.17.0.1")}}
	vpn := Interface{"tailscale0", net.FlagUp | net.FlagPointToPoint, []net.IP{ip("100.101.102.103")}}
	tun := Interface{"office", net.FlagUp | net.FlagPointToPoint, []net.IP{ip("10.8.0.2")}}
	down := Interface{"enp4s0", net.FlagBroadcast, []net.IP{ip("192.168.50.2")}}
	linkLocal := Interface{"enp5s0", up, []net.IP{ip("169.254.10.20")}}
	public := Interface{"eth0", up, []net.IP{ip("203.0.113.7")}}
	v6only := Interface{"enp6s0", up, []net.IP{ip("2001:db8::7")}}

	hosts := func(as []Address) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Host+"/"+a.Interface)
		}
		return out
	}
	for _, c := range []struct {
		name   string
		listen string
		ifs    []Interface
		want   []string
		err    error
	}{
		{"all addresses: wireless and wired private first, then the rest", "0.0.0.0",
			[]Interface{lo, docker, eth, vpn, wifi, tun, down, linkLocal},
			[]string{"10.42.0.1/wlp2s0", "192.168.1.23/enp3s0", "172.17.0.1/docker0", "10.8.0.2/office", "100.101.102.103/tailscale0"}, nil},
		{"IPv6 any", "::", []Interface{lo, eth}, []string{"192.168.1.23/enp3s0"}, nil},
		{"a public address is still an address", "0.0.0.0", []Interface{lo, public, docker}, []string{"203.0.113.7/eth0", "172.17.0.1/docker0"}, nil},
		{"one address", "192.168.1.23", []Interface{lo, eth, wifi}, []string{"192.168.1.23/"}, nil},
		{"loopback", "127.0.0.1", []Interface{lo, eth}, nil, ErrLoopback},
		{"nothing but loopback", "0.0.0.0", []Interface{lo}, nil, ErrNoNetwork},
		{"down, link-local and IPv6 only", "0.0.0.0", []Interface{lo, down, linkLocal, v6only}, nil, ErrNoNetwork},
	} {
		got, err := Addresses(ip(c.listen), c.ifs)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
		}
		if !slices.Equal(hosts(got), c.want) {
			t.Errorf("%s: got %q, want %q", c.name, hosts(got), c.want)
		}
	}
}

// TestSystemInterfaces reads this machine's interfaces; it only logs
// them: what a test machine has is not the test's to decide.
func TestSystemInterfaces(t *testing.T) {
	ifs, err := SystemInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := Addresses(net.IPv4zero, ifs)
	t.Logf("interfaces %v: addresses %v, %v", ifs, addrs, err)
}

// BenchmarkPNG draws the picture, as serve --community and each GET poster
// do.
func BenchmarkPNG(b *testing.B) {
	p := New("192.168.1.23", 7447, "K7PMQ2XD")
	var n int
	for b.Loop() {
		png, err := p.PNG()
		if err != nil {
			b.Fatal(err)
		}
		n = len(png)
	}
	b.ReportMetric(float64(n), "bytes/poster")
}

func BenchmarkHTML(b *testing.B) {
	p := New("192.168.1.23", 7447, "K7PMQ2XD")
	var n int
	for b.Loop() {
		page, err := p.HTML()
		if err != nil {
			b.Fatal(err)
		}
		n = len(page)
	}
	b.ReportMetric(float64(n), "bytes/page")
}
