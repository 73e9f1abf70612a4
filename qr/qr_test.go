package qr

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/draw"
)

var (
	aigerim = evtest.NewKey("aigerim")
	bolat   = evtest.NewKey("bolat")
)

// Golden texts: what other apps scan must not change by accident.
func TestContactTextGolden(t *testing.T) {
	pk := keys.PublicKey(aigerim.Public)
	for _, c := range []struct {
		relays []string
		want   string
	}{
		{nil, "nostr:nprofile1qqs8zvvvgfx0d2s4dvvsv4nzdsxpmyqvgf54qwvllvhw24kp9fdcquq3n4du9"},
		{[]string{"ws://192.168.1.20:7447"}, "nostr:nprofile1qqs8zvvvgfx0d2s4dvvsv4nzdsxpmyqvgf54qwvllvhw24kp9fdcquqpzemhxw309ucnjv3wxymrst339cerqw3hxs6rwqhu6sc"},
	} {
		if got := ContactText(pk, c.relays); got != c.want {
			t.Errorf("ContactText(%v) = %s, want %s", c.relays, got, c.want)
		}
	}
}

func TestEventTextGolden(t *testing.T) {
	ev := &nostr.Event{
		ID:        strings.Repeat("1", 64),
		PubKey:    strings.Repeat("2", 64),
		CreatedAt: 1641340800,
		Kind:      1,
		Tags:      nostr.Tags{{"t", "almaty"}},
		Content:   "Салем! \"quoted\"\nnext line",
		Sig:       strings.Repeat("3", 128),
	}
	want := `{"kind":1,"id":"` + strings.Repeat("1", 64) + `","pubkey":"` + strings.Repeat("2", 64) +
		`","created_at":1641340800,"tags":[["t","almaty"]],"content":"Салем! \"quoted\"\nnext line","sig":"` + strings.Repeat("3", 128) + `"}`
	got, err := EventText(ev)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("EventText =\n%s\nwant\n%s", got, want)
	}
}

// sized signs a note whose JSON is exactly n bytes, its content made of
// fill (one or more bytes a rune) and ASCII to make up the rest.
func sized(t *testing.T, n int, fill string) *nostr.Event {
	t.Helper()
	base, _ := aigerim.Event(1, 1641340800, "").MarshalJSON()
	room := n - len(base)
	if room < 0 {
		t.Fatalf("%d bytes is less than an empty note (%d)", n, len(base))
	}
	content := strings.Repeat(fill, room/len(fill))
	content += strings.Repeat("a", room-len(content))
	ev := aigerim.Event(1, 1641340800, content)
	if b, _ := ev.MarshalJSON(); len(b) != n {
		t.Fatalf("made a %d-byte event, want %d", len(b), n)
	}
	return ev
}

func TestEventTextLimit(t *testing.T) {
	if _, err := EventText(sized(t, MaxEventBytes, "a")); err != nil {
		t.Fatalf("an event of exactly the limit: %v", err)
	}
	_, err := EventText(sized(t, MaxEventBytes+1, "a"))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != MaxEventBytes+1 || tl.Limit != MaxEventBytes {
		t.Fatalf("one byte over the limit: got %v, want a TooLargeError", err)
	}
	if !strings.Contains(err.Error(), "1,025 bytes") || !strings.Contains(err.Error(), "1,024 bytes") {
		t.Errorf("the message does not give both sizes: %v", err)
	}
}

// throughPNG draws text as a PNG, decodes the file's bytes as an image and
// reads the code back, as 'qr show --png' and 'qr read' do.
func throughPNG(t *testing.T, text string) string {
	t.Helper()
	b, err := PNG(text)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(img)
	if err != nil {
		t.Fatalf("the PNG of %d bytes of text does not decode: %v", len(text), err)
	}
	return got
}

func TestEventRoundTripThroughPNG(t *testing.T) {
	for _, c := range []struct {
		name string
		ev   *nostr.Event
	}{
		{"short note", aigerim.Event(1, 1641340800, "Salem from Almaty")},
		// Readers guess the character set of byte-mode text; short non-ASCII
		// text gives a guess the least to go on.
		{"short Cyrillic", aigerim.Event(1, 1641340800, "Алаң жабық")},
		{"tags and emoji", bolat.Event(1, 1641340800, "Су керек 💧 water needed\nAbay avenue",
			nostr.Tag{"t", "almaty"}, nostr.Tag{"p", aigerim.Public, "", "mention"})},
		{"report", bolat.Event(30023, 1641340800, "# Zhanaozen\n\nGas prices doubled.", nostr.Tag{"d", "z"}, nostr.Tag{"title", "Zhanaozen"})},
		{"at the limit, ASCII", sized(t, MaxEventBytes, "a")},
		{"at the limit, Kazakh", sized(t, MaxEventBytes, "ә")},
		{"at the limit, four-byte runes", sized(t, MaxEventBytes, "💧")},
		{"just under the limit", sized(t, MaxEventBytes-1, "ж")},
	} {
		t.Run(c.name, func(t *testing.T) {
			text, err := EventText(c.ev)
			if err != nil {
				t.Fatal(err)
			}
			if q, _ := qrcode.New(text, Level); q.VersionNumber > 26 {
				t.Errorf("%d bytes need a version %d code; the documented ceiling is 26", len(text), q.VersionNumber)
			}
			p, err := Parse(throughPNG(t, text))
			if err != nil {
				t.Fatal(err)
			}
			if p.Contact != nil || p.Event == nil {
				t.Fatalf("read back %+v, want an event", p)
			}
			if err := event.Verify(p.Event); err != nil {
				t.Fatalf("the event read back does not verify: %v", err)
			}
			want, _ := c.ev.MarshalJSON()
			got, _ := p.Event.MarshalJSON()
			if !bytes.Equal(got, want) {
				t.Fatalf("read back\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestContactRoundTripThroughPNG(t *testing.T) {
	var many []string
	for i := 0; len(strings.Join(many, "")) < 900; i++ {
		many = append(many, "wss://relay-"+strings.Repeat("x", 60)+string(rune('a'+i))+".example.org")
	}
	for _, relays := range [][]string{nil, {"ws://192.168.1.20:7447"}, many} {
		pk := keys.PublicKey(bolat.Public)
		p, err := Parse(throughPNG(t, ContactText(pk, relays)))
		if err != nil {
			t.Fatal(err)
		}
		if p.Event != nil || p.Contact == nil {
			t.Fatalf("read back %+v, want a contact", p)
		}
		if p.Contact.PubKey != pk || strings.Join(p.Contact.Relays, " ") != strings.Join(relays, " ") {
			t.Fatalf("read back %s %v, want %s %v", p.Contact.PubKey, p.Contact.Relays, pk, relays)
		}
	}
}

// Codes other apps make: a bare npub, an upper-case URI (alphanumeric mode).
func TestParseOtherContactForms(t *testing.T) {
	pk := keys.PublicKey(aigerim.Public)
	for _, text := range []string{
		pk.NPub(),
		"nostr:" + pk.NPub(),
		"  " + pk.NProfile(nil) + "\n",
		strings.ToUpper("nostr:" + pk.NPub()),
	} {
		p, err := Parse(text)
		if err != nil || p.Contact == nil || p.Contact.PubKey != pk {
			t.Errorf("Parse(%q) = %+v, %v; want the contact %s", text, p, err, pk.NPub())
		}
	}
}

func TestParseBadInputs(t *testing.T) {
	note := aigerim.Event(1, 1641340800, "Salem")
	good, _ := EventText(note)
	nevent, _ := nip19.EncodeEvent(note.ID, nil, note.PubKey)
	noteID, _ := nip19.EncodeNote(note.ID)
	nsec, _ := nip19.EncodePrivateKey(aigerim.Secret)
	npub := keys.PublicKey(aigerim.Public).NPub()
	damaged := npub[:len(npub)-1] + map[bool]string{true: "q", false: "p"}[npub[len(npub)-1] != 'q']
	for _, c := range []struct {
		name, text string
		kind       error
		says       string
	}{
		{"empty", "  \n", ErrEmpty, "holds nothing"},
		{"web address", "https://example.org/news?id=1", ErrForeign, "a web address (https://example.org/news"},
		{"websocket address", "wss://relay.example.org", ErrForeign, "a web address"},
		{"text", "Meet at the north gate at six", ErrForeign, `text ("Meet at the north gate`},
		{"control characters", "\x1b[2Jhello", ErrForeign, `text ("�[2Jhello")`},
		{"wifi", "WIFI:S:cafe;T:WPA;P:secret;;", ErrForeign, "not a contact card or a signed event"},
		{"hex", note.ID, ErrForeign, "64 hex characters"},
		{"nevent", "nostr:" + nevent, ErrPointer, "a pointer to an event, not the event itself"},
		{"note", noteID, ErrPointer, "a pointer to an event"},
		{"nsec", nsec, ErrSecret, "a secret key (nsec)"},
		{"damaged npub", "nostr:" + damaged, ErrBadKey, "a damaged npub"},
		{"truncated event", good[:len(good)/2], ErrBadEvent, "an event that cannot be read"},
		{"event without sig", strings.Replace(good, `"sig"`, `"sag"`, 1), ErrBadEvent, "event has no sig"},
		{"event with an empty id", strings.Replace(good, note.ID, "", 1), ErrBadEvent, "its id is not 64"},
		{"event with a short sig", strings.Replace(good, note.Sig, note.Sig[:100], 1), ErrBadEvent, "its sig is not 128"},
		{"JSON that is no event", `{"url":"https://example.org"}`, ErrBadEvent, "event has no id"},
		{"too long", strings.Repeat("a", 9000), ErrForeign, "9,000 characters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.text)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", p)
			}
			var te *TextError
			if !errors.As(err, &te) || !errors.Is(err, c.kind) {
				t.Fatalf("got %v (%T), want a TextError of %v", err, err, c.kind)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("message %q does not say %q", err, c.says)
			}
			if strings.Contains(err.Error(), nsec[5:20]) {
				t.Errorf("the message repeats a secret key: %v", err)
			}
		})
	}
}

// A tampered event still decodes: it is the node's ingest, like for any
// event, that refuses it, and it does.
func TestTamperedEventDecodesButDoesNotVerify(t *testing.T) {
	ev := aigerim.Event(1, 1641340800, "the square is closed")
	text, _ := EventText(ev)
	for _, forged := range []string{
		strings.Replace(text, "closed", "open!!", 1),                 // content changed
		strings.Replace(text, ev.Sig, bolat.Event(1, 1, "x").Sig, 1), // another signature
	} {
		p, err := Parse(forged)
		if err != nil {
			t.Fatalf("Parse(%s): %v", forged, err)
		}
		if err := event.Verify(p.Event); err == nil {
			t.Errorf("a tampered event verifies: %s", forged)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := ContactText(keys.PublicKey(aigerim.Public), nil)
	b, _ := PNG(text)
	if got, err := ReadFile(write("card.png", b)); err != nil || got != text {
		t.Errorf("ReadFile(card.png) = %q, %v", got, err)
	}

	if _, err := ReadFile(write("notes.txt", []byte("not a picture"))); !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("a text file: got %v, want ErrNotImage naming the file", err)
	}

	blank := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	var buf bytes.Buffer
	png.Encode(&buf, blank)
	if _, err := ReadFile(write("blank.png", buf.Bytes())); !errors.Is(err, ErrNoCode) {
		t.Errorf("a picture without a code: got %v, want ErrNoCode", err)
	}

	// A small file claiming to be 100,000 pixels square is refused before
	// anything that large is allocated.
	bomb := buf.Bytes()
	ihdr := bomb[8+8 : 8+8+13] // after the signature, length and "IHDR"
	copy(ihdr[0:4], []byte{0, 1, 0x86, 0xa0})
	copy(ihdr[4:8], []byte{0, 1, 0x86, 0xa0})
	crc := crc32.ChecksumIEEE(bomb[12 : 12+4+13])
	copy(bomb[12+4+13:], []byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	if _, err := ReadFile(write("bomb.png", bomb)); !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "100000×100000") {
		t.Errorf("a decompression bomb: got %v", err)
	}

	if _, err := ReadFile(filepath.Join(dir, "missing.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: got %v", err)
	}
}

// A photo is a JPEG: lossy, and rarely at whole pixels a module. The
// largest event, drawn as a PNG, scaled to 5 pixels a module and saved
// as a JPEG of modest quality, still reads back whole.
func TestEventThroughJPEG(t *testing.T) {
	ev := sized(t, MaxEventBytes, "ж")
	text, _ := EventText(ev)
	b, _ := PNG(text)
	src, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	side := src.Bounds().Dx() * 5 / 8
	small := image.NewGray(image.Rect(0, 0, side, side))
	draw.BiLinear.Scale(small, small.Bounds(), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	os.WriteFile(path, buf.Bytes(), 0o644)
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := event.Verify(p.Event); err != nil || p.Event.ID != ev.ID {
		t.Fatalf("read back %s (%v), want %s", p.Event.ID, err, ev.ID)
	}
}

// TestTerminalDecodes turns the half-block drawing back into pixels (a
// block's lit half is a light module) and reads it with an independent QR
// decoder.
func TestTerminalDecodes(t *testing.T) {
	for _, want := range []string{
		ContactText(keys.PublicKey(aigerim.Public), []string{"ws://192.168.1.20:7447"}),
		func() string { s, _ := EventText(sized(t, MaxEventBytes, "ж")); return s }(),
	} {
		drawn, width, err := Terminal(want)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(drawn, "\n"), "\n")
		if w := len([]rune(lines[0])); w != width {
			t.Errorf("Terminal says %d columns, draws %d", width, w)
		}
		const scale = 4
		img := image.NewGray(image.Rect(0, 0, width*scale, len(lines)*2*scale))
		for y, line := range lines {
			for x, r := range []rune(line) {
				top := r == '█' || r == '▀'
				bottom := r == '█' || r == '▄'
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.SetGray(x*scale+dx, (2*y)*scale+dy, lum(top))
						img.SetGray(x*scale+dx, (2*y+1)*scale+dy, lum(bottom))
					}
				}
			}
		}
		got, err := Decode(img)
		if err != nil {
			t.Fatalf("the terminal drawing of %d bytes does not decode: %v", len(want), err)
		}
		if got != want {
			t.Fatalf("decoded %q, want %q", got, want)
		}
	}
}

func lum(light bool) color.Gray {
	if light {
		return color.Gray{255}
	}
	return color.Gray{0}
}

// Every code we draw must read back: before a second way of looking,
// gozxing missed about one in ten generated events.
func TestEveryDrawnCodeReads(t *testing.T) {
	for i := range 60 {
		b := make([]byte, 64)
		for j := range b {
			b[j] = byte(i*131 + j*17 + i*j)
		}
		text := fmt.Sprintf(`{"kind":1,"id":"%x","pubkey":"%x","created_at":1795741026,"tags":[],"content":"note %d","sig":"%x"}`, sha256.Sum256(b[:32]), b[32:], i, append(b, b...))
		p, err := PNG(text)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(p))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Decode(img); err != nil || got != text {
			t.Fatalf("code %d did not read back: %v", i, err)
		}
	}
}
