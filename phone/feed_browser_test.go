package phone_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/media"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
)

// profile publishes k's kind-0 name.
func (fn *feedNode) profile(k feedKey, name string) {
	fn.t.Helper()
	b, _ := json.Marshal(map[string]string{"name": name})
	fn.publish(k, event.KindProfile, time.Hour, nil, string(b))
}

// report publishes a report by k (as Caravan writes them: docs/reports.md);
// published is its published_at, 0 for its own time.
func (fn *feedNode) report(k feedKey, ago time.Duration, d, lang, title, summary, text string, published int64, extra ...nostr.Tag) *nostr.Event {
	fn.t.Helper()
	if published == 0 {
		published = fn.clock.Now().Add(-ago).Unix()
	}
	tags := nostr.Tags{{"d", d}, {"title", title}, {"summary", summary}, {"L", "ISO-639-1"}, {"l", lang, "ISO-639-1"}}
	tags = append(tags, extra...)
	tags = append(tags, nostr.Tag{"published_at", fmt.Sprint(published)})
	return fn.publish(k, event.KindReport, ago, tags, text)
}

// translation publishes k's translation of the version orig into lang.
func (fn *feedNode) translation(k feedKey, ago time.Duration, orig *nostr.Event, lang, title, summary, text string) *nostr.Event {
	fn.t.Helper()
	addr := fmt.Sprintf("%d:%s:%s", event.KindReport, orig.PubKey, orig.Tags.GetD())
	return fn.report(k, ago, "tr-"+lang+"-"+orig.Tags.GetD(), lang, title, summary, text, 0,
		nostr.Tag{"a", addr, "", "translation-of"}, nostr.Tag{"e", orig.ID, "", "translation-of"}, nostr.Tag{"p", orig.PubKey})
}

// pngBlob stores a small PNG in the node and returns its sha256.
func (fn *feedNode) pngBlob(w, h int) string {
	fn.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		fn.t.Fatal(err)
	}
	sum, err := fn.Node.PutBlob(context.Background(), buf.Bytes(), "image/png")
	if err != nil {
		fn.t.Fatal(err)
	}
	return hex.EncodeToString(sum[:])
}

// A report written in English with a translation into Spanish (of its
// current version) and one into Russian (of its first version): a
// Spanish reader sees the Spanish text with where it comes from and can
// go to the original; an English reader sees the original with its
// languages; a Russian reader is told that the original changed.
func TestFeedReportInReadersLanguage(t *testing.T) {
	fn := startFeedNode(t, node.Config{})
	alice, beatriz, sergei, reader := newFeedKey(t), newFeedKey(t), newFeedKey(t), newFeedKey(t)
	fn.profile(alice, "Alice")
	fn.profile(beatriz, "Beatriz")
	fn.profile(sergei, "Сергей")
	pic := fn.pngBlob(320, 200)
	img := "https://blossom.invalid/" + pic + ".png"

	v1 := fn.report(alice, 3*time.Hour, "almaty", "en", "Protest in Almaty", "Thousands in the square",
		"The police closed the streets.", 0)
	ru := fn.translation(sergei, 2*time.Hour, v1, "ru", "Протест в Алматы", "Тысячи на площади", "Полиция перекрыла улицы.")
	v2 := fn.report(alice, time.Hour, "almaty", "en", "Protest in Almaty", "Thousands in the square",
		"The police closed the streets.\n\n![The square]("+img+")\n\nBy noon **everyone** had gone home.", v1.CreatedAt.Time().Unix())
	fn.translation(beatriz, 30*time.Minute, v2, "es", "Protesta en Almaty", "Miles en la plaza",
		"La policía cerró las calles.\n\n![La plaza]("+img+")\n\nAl mediodía **todos** se habían ido a casa.")
	fn.publish(alice, event.KindTextNote, 10*time.Minute, nil, "Water at the school from 10:00.")
	_ = ru

	b := newFeedBrowser(t, fn)

	// Spanish.
	b.open(reader, "es", alice.pk)
	b.waitJS(`document.querySelectorAll('.feed-report').length === 1 && document.querySelectorAll('.feed-note').length === 1`)
	if got := b.text(".feed-report .feed-title"); got != "Protesta en Almaty" {
		t.Errorf("a Spanish reader's feed shows the report as %q", got)
	}
	if got := b.text(".feed-report .feed-about"); !strings.Contains(got, "Beatriz") || !strings.Contains(got, "inglés") {
		t.Errorf("the feed says of the translation %q; want its translator and the original's language", got)
	}
	if b.count(".feed-contact") == 0 {
		t.Error("Alice is the reader's contact, and the feed does not say so")
	}
	b.shot("es-feed")
	b.tap(".feed-report .feed-open")
	b.waitJS(`document.querySelector('#feed-report-title')?.innerText === 'Protesta en Almaty'`)
	if got := b.text("#feed-report-body"); !strings.Contains(got, "La policía cerró las calles.") || !strings.Contains(got, "todos") {
		t.Errorf("the Spanish report's text is %q", got)
	}
	prov := b.text("#feed-provenance")
	for _, want := range []string{"Beatriz", "Alice", "inglés", "español", "Leer el original"} {
		if !strings.Contains(prov, want) {
			t.Errorf("the translation's provenance %q does not name %q", prov, want)
		}
	}
	if b.count("#feed-outdated") != 0 {
		t.Error("the Spanish translation is of the current version, yet called outdated")
	}
	b.waitJS(fmt.Sprintf(`document.querySelector('#feed-report-body img[src="/%s"]')?.naturalWidth === 320`, pic))
	b.shot("es-report")
	b.tap("#feed-read-original")
	b.waitJS(`document.querySelector('#feed-report-title')?.innerText === 'Protest in Almaty'`)
	if got := b.text("#feed-report-body"); !strings.Contains(got, "The police closed the streets.") {
		t.Errorf("the original's text is %q", got)
	}
	if b.count("#feed-read-translation") != 1 {
		t.Error("reading the original, a Spanish reader is not offered the translation back")
	}
	b.shot("es-original")
	b.tap("#feed-back")
	b.waitJS(`!document.querySelector('#feed-home').hidden && document.querySelectorAll('.feed-item').length === 2`)

	// Pull to refresh: a finger drags the list down from its top.
	b.evalInto(`document.querySelectorAll('.feed-item').forEach((e) => { e.dataset.old = '1'; }), 0`, nil)
	touch := func(typ input.DispatchTouchEventType, y float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{{X: 195, Y: y}}}
			if typ == input.DispatchTouchEventTypeTouchEnd {
				p.TouchPoints = []*input.TouchPoint{}
			}
			_, err := chromedp.Call(ctx, input.DispatchTouchEvent, p)
			return err
		})
	}
	b.run("pull the list down", touch(input.DispatchTouchEventTypeTouchStart, 200), touch(input.DispatchTouchEventTypeTouchMove, 260),
		touch(input.DispatchTouchEventTypeTouchMove, 330), touch(input.DispatchTouchEventTypeTouchEnd, 330))
	b.waitJS(`document.querySelectorAll('.feed-item').length === 2 && !document.querySelector('.feed-item[data-old]')`)

	// English: the original, and the languages it can be read in.
	b.open(reader, "en")
	b.waitJS(`document.querySelectorAll('.feed-report').length === 1`)
	if got := b.text(".feed-report .feed-title"); got != "Protest in Almaty" {
		t.Errorf("an English reader's feed shows the report as %q", got)
	}
	if b.count(".feed-report .feed-about") != 0 || b.count(".feed-contact") != 0 {
		t.Errorf("an English reader's feed says %q of an English report by a stranger", b.text(".feed-report"))
	}
	b.tap(".feed-report .feed-open")
	b.waitJS(`document.querySelector('#feed-report-title')?.innerText === 'Protest in Almaty' && document.querySelectorAll('#feed-langs li').length === 3`)
	if b.count("#feed-provenance") != 0 {
		t.Errorf("an English reader of the English original is told %q", b.text("#feed-provenance"))
	}
	if got := b.text("#feed-report-body"); !strings.Contains(got, "everyone") {
		t.Errorf("the original's text is %q", got)
	}
	b.shot("en-report")

	// Russian: the translation of the first version is outdated.
	b.open(reader, "ru")
	b.waitJS(`document.querySelectorAll('.feed-report').length === 1`)
	if got := b.text(".feed-report .feed-title"); got != "Протест в Алматы" {
		t.Errorf("a Russian reader's feed shows the report as %q", got)
	}
	b.tap(".feed-report .feed-open")
	b.waitJS(`document.querySelector('#feed-report-title')?.innerText === 'Протест в Алматы'`)
	if b.count("#feed-outdated") != 1 || !strings.Contains(b.text("#feed-provenance"), "Сергей") {
		t.Errorf("the Russian translation of an earlier version: %q", b.text("#feed-provenance"))
	}
	b.shot("ru-report-outdated")
}

// Script and markup in a name, a note and a report (title, summary,
// text, links, images) show as the characters they are: nothing runs,
// no element but the few markdown makes, links only to http(s).
func TestFeedHostileContentIsText(t *testing.T) {
	fn := startFeedNode(t, node.Config{})
	mallory, reader := newFeedKey(t), newFeedKey(t)
	name := `<img src=x onerror="window.pwned='name'">Mallory`
	fn.profile(mallory, name)
	note := `<script>window.pwned='note'</script><img src=x onerror="window.pwned='note-img'"> javascript:window.pwned='bare' [md](javascript:window.pwned='md')`
	fn.publish(mallory, event.KindTextNote, 5*time.Minute, nil, note)
	title := `<script>window.pwned='title'</script>`
	body := strings.Join([]string{
		`<div><script>window.pwned='body'</script></div>`,
		``,
		`[a](javascript:window.pwned='a') [b](jav&#x61;script:window.pwned='b') [c](data:text/html,<script>window.pwned='c'</script>) <javascript:window.pwned='d'>`,
		``,
		`![e](javascript:window.pwned='e') ![f](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+) <iframe src="javascript:window.pwned='g'"></iframe>`,
		``,
		`<style>body{display:none}</style> [ok](https://example.org/ok "t") [rel](/x) [proto](//example.org/y)`,
		``,
		"```\n<script>window.pwned='code'</script>\n```",
	}, "\n")
	fn.report(mallory, time.Hour, "hostile", "en", title, `<b onmouseover="window.pwned='summary'">summary</b>`, body, 0)

	b := newFeedBrowser(t, fn)
	b.open(reader, "en")
	b.waitJS(`document.querySelectorAll('.feed-item').length === 2`)
	check := func(where string) {
		t.Helper()
		var res struct {
			Pwned    any
			Elements []string
			Hrefs    []string
			OnAttrs  []string
		}
		b.evalInto(`(() => {
			const tab = document.getElementById('feed-tab');
			const els = [...tab.querySelectorAll('*')];
			return {
				Pwned: window.pwned ?? null,
				Elements: [...new Set(els.map((e) => e.tagName.toLowerCase()))],
				Hrefs: [...tab.querySelectorAll('[href]')].map((a) => a.getAttribute('href')),
				OnAttrs: els.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name) || /^(src|srcdoc|style)$/i.test(a.name)).map((a) => e.tagName + ' ' + a.name + '=' + a.value)),
			};
		})()`, &res)
		if res.Pwned != nil {
			t.Errorf("%s: script from the content ran: window.pwned = %v", where, res.Pwned)
		}
		for _, e := range res.Elements {
			switch e {
			case "script", "iframe", "style", "object", "embed", "img", "svg", "link", "meta", "form", "video", "audio":
				t.Errorf("%s: a <%s> element is in the tab", where, e)
			}
		}
		for _, h := range res.Hrefs {
			if h != "https://example.org/ok" {
				t.Errorf("%s: a link to %q is in the tab", where, h)
			}
		}
		if len(res.OnAttrs) > 0 {
			t.Errorf("%s: attributes from the content: %v", where, res.OnAttrs)
		}
	}
	check("feed")
	if got := b.text(".feed-note .feed-author"); got != name {
		t.Errorf("the author's name shows as %q, want the characters %q", got, name)
	}
	if got := b.text(".feed-note .feed-text"); !strings.Contains(got, `<script>window.pwned='note'</script>`) || !strings.Contains(got, `javascript:window.pwned='bare'`) {
		t.Errorf("the note shows as %q, want its characters", got)
	}
	if got := b.text(".feed-report .feed-title"); got != title {
		t.Errorf("the report's title shows as %q", got)
	}
	b.shot("hostile-feed")
	b.tap(".feed-report .feed-open")
	b.waitJS(`!!document.querySelector('#feed-report-body')`)
	check("report")
	if got := b.text("#feed-report-title"); got != title {
		t.Errorf("the report's title shows as %q", got)
	}
	text := b.text("#feed-report-body")
	for _, want := range []string{`<div><script>window.pwned='body'</script></div>`, `<style>body{display:none}</style>`, `<script>window.pwned='code'</script>`, "ok (example.org/ok)", "rel", "proto"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report's text %q does not show %q", text, want)
		}
	}
	if fn.asked("/x") {
		t.Error("the page loaded /x, an image named in the content")
	}
	b.shot("hostile-report")
}

// jpegWithGPS is a photo as a phone's camera writes it: a w×h JPEG
// turned by its EXIF orientation (6: a quarter turn clockwise), with a
// GPS position in EXIF and in XMP, and a comment naming the place.
func jpegWithGPS(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	// TIFF: IFD0 (orientation, GPS pointer) at 8, the GPS IFD at 38, its
	// rationals at 92.
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := make([]byte, 12)
		be.PutUint16(e, tag)
		be.PutUint16(e[2:], typ)
		be.PutUint32(e[4:], count)
		be.PutUint32(e[8:], value)
		return e
	}
	tiff = append(tiff, 0, 2)
	tiff = append(tiff, entry(0x0112, 3, 1, 6<<16)...) // Orientation, SHORT 6
	tiff = append(tiff, entry(0x8825, 4, 1, 38)...)    // GPSInfo
	tiff = append(tiff, 0, 0, 0, 0)
	tiff = append(tiff, 0, 4)
	tiff = append(tiff, entry(1, 2, 2, uint32('N')<<24)...) // GPSLatitudeRef
	tiff = append(tiff, entry(2, 5, 3, 92)...)              // GPSLatitude
	tiff = append(tiff, entry(3, 2, 2, uint32('E')<<24)...) // GPSLongitudeRef
	tiff = append(tiff, entry(4, 5, 3, 116)...)             // GPSLongitude
	tiff = append(tiff, 0, 0, 0, 0)
	for _, v := range []uint32{43, 14, 20, 76, 53, 23} {
		tiff = be.AppendUint32(tiff, v)
		tiff = be.AppendUint32(tiff, 1)
	}
	segment := func(marker byte, data []byte) []byte {
		s := []byte{0xff, marker, 0, 0}
		be.PutUint16(s[2:], uint16(len(data)+2))
		return append(s, data...)
	}
	xmp := `http://ns.adobe.com/xap/1.0/` + "\x00" + `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="43,14.33N" exif:GPSLongitude="76,53.38E"/></rdf:RDF></x:xmpmeta>`
	src := buf.Bytes()
	out := append([]byte{}, src[:2]...)
	out = append(out, segment(0xe1, append([]byte("Exif\x00\x00"), tiff...))...)
	out = append(out, segment(0xe1, []byte(xmp))...)
	out = append(out, segment(0xfe, []byte("Republic Square, 43.2389N 76.8897E"))...)
	return append(out, src[2:]...)
}

// jpegSegments lists a JPEG's markers up to the start of the scan.
func jpegSegments(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		t.Fatalf("not a JPEG: % x", b[:min(len(b), 8)])
	}
	var markers []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			t.Fatalf("a JPEG segment at %d starts with %#x", i, b[i])
		}
		m := b[i+1]
		markers = append(markers, m)
		if m == 0xda {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return markers
}

// A report written on the phone with a photo straight from a camera
// (EXIF with a GPS position and an orientation, XMP, a comment): the node
// stores a JPEG with none of them, upright and at most 1600 pixels on
// its longer side, and the report names that JPEG's sha256 in an imeta
// tag, as the node's own reports do.
func TestFeedComposeReportWithPhoto(t *testing.T) {
	fn := startFeedNode(t, node.Config{})
	ctx := context.Background()
	phoneKey := newFeedKey(t)
	// The node takes uploads from its people's contacts.
	if _, err := fn.Node.NewIdentity("op", "", true); err != nil {
		t.Fatal(err)
	}
	pub, _, err := keys.ParsePublicKey(phoneKey.pk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fn.Node.Follow(ctx, "op", pub, "", "phone"); err != nil {
		t.Fatal(err)
	}
	photo := jpegWithGPS(t, 2400, 1800)
	if _, info, err := media.Strip(photo); err != nil || !info.HadGPS {
		t.Fatalf("the test photo should carry a GPS position: %+v %v", info, err)
	}
	file := filepath.Join(t.TempDir(), "IMG_20250114_101502.jpg")
	if err := os.WriteFile(file, photo, 0o644); err != nil {
		t.Fatal(err)
	}

	b := newFeedBrowser(t, fn)
	b.open(phoneKey, "en")
	b.waitJS(`document.querySelector('#feed-state')?.innerText !== '' && !document.querySelector('#feed-refresh').disabled`)
	b.tap("#feed-write")
	b.tap("#feed-kind-report")
	b.typeInto("#feed-title", "Water at the school")
	b.typeInto("#feed-summary", "Two tanks, from ten")
	b.choose("#feed-lang", "es")
	b.typeInto("#feed-body", "Hay agua en la escuela desde las diez.")
	b.run("choose the photo", chromedp.SetUploadFiles(chromedp.CSS("#feed-photo"), []string{file}))
	b.waitJS(`!!document.querySelector('#feed-photo-clean')`)
	b.typeInto("#feed-photo-alt", "Two water tanks")
	b.shot("compose-report")
	b.tap("#feed-publish")
	b.waitJS(`!document.querySelector('#feed-home').hidden && [...document.querySelectorAll('.feed-report .feed-title')].some((e) => e.innerText === 'Water at the school')`)

	raws, err := fn.Node.Query(ctx, nostr.Filter{Kinds: []int{event.KindReport}, Authors: []string{phoneKey.pk}}, 10)
	if err != nil || len(raws) != 1 {
		t.Fatalf("the node holds %d reports by the phone (%v), want 1", len(raws), err)
	}
	var ev nostr.Event
	if err := json.Unmarshal(raws[0].JSON, &ev); err != nil {
		t.Fatal(err)
	}
	var imeta nostr.Tag
	for _, tag := range ev.Tags {
		if tag[0] == "imeta" {
			if imeta != nil {
				t.Errorf("two imeta tags: %v", ev.Tags)
			}
			imeta = tag
		}
	}
	fields := map[string]string{}
	for _, kv := range imeta[1:] {
		k, v, _ := strings.Cut(kv, " ")
		fields[k] = v
	}
	sum := fields["x"]
	meta, held, err := fn.Node.BlobInfo(ctx, sum)
	if err != nil || !held {
		t.Fatalf("the report names blob %q, which the node does not hold (%v); tags %v", sum, err, ev.Tags)
	}
	stored, err := fn.Node.BlobRange(ctx, sum, 0, meta.Size)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(stored); hex.EncodeToString(got[:]) != sum {
		t.Fatalf("the stored blob's sha256 is %x, the report names %s", got, sum)
	}
	for _, m := range jpegSegments(t, stored) {
		if (m >= 0xe1 && m <= 0xef) || m == 0xfe {
			t.Errorf("the stored photo keeps a metadata segment (marker %#x; APP1-15 or COM); its markers: % x", m, jpegSegments(t, stored))
		}
	}
	for _, leak := range []string{"Exif\x00", "http://ns.adobe.com/xap", "ICC_PROFILE", "GPS", "43,14", "Republic Square"} {
		if bytes.Contains(stored, []byte(leak)) {
			t.Errorf("the stored photo contains %q", leak)
		}
	}
	if _, info, err := media.Strip(stored); err != nil || len(info.Removed) > 0 || info.HadGPS {
		t.Errorf("the node's own cleaner finds in the stored photo: %+v %v", info, err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(stored))
	if err != nil || format != "jpeg" || cfg.Width != 1200 || cfg.Height != 1600 {
		t.Errorf("the stored photo is a %s of %dx%d (%v); want the upright photo in a JPEG of 1200x1600", format, cfg.Width, cfg.Height, err)
	}
	want := map[string]string{"url": "https://blossom.invalid/" + sum + ".jpg", "m": "image/jpeg", "size": fmt.Sprint(len(stored)), "dim": "1200x1600", "alt": "Two water tanks"}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("imeta %s is %q, want %q (tag %v)", k, fields[k], v, imeta)
		}
	}
	if _, ok := fields["name"]; ok {
		t.Errorf("the imeta tag gives the photo's file name away: %v", imeta)
	}
	if !strings.Contains(ev.Content, "![Two water tanks](https://blossom.invalid/"+sum+".jpg)") {
		t.Errorf("the report's text does not show the photo: %q", ev.Content)
	}
	for _, tag := range []nostr.Tag{{"title", "Water at the school"}, {"summary", "Two tanks, from ten"}, {"L", "ISO-639-1"}, {"l", "es", "ISO-639-1"}} {
		if got := ev.Tags.GetFirst(tag[:1]); got == nil || strings.Join(*got, "\x00") != strings.Join(tag, "\x00") {
			t.Errorf("tag %v: got %v", tag, got)
		}
	}
	if ev.Tags.GetD() == "" || ev.Tags.GetFirst([]string{"published_at"}) == nil {
		t.Errorf("no d or published_at: %v", ev.Tags)
	}

	// The photo shows in the report, from the node.
	b.tap(".feed-report .feed-open")
	b.waitJS(fmt.Sprintf(`document.querySelector('#feed-report-body img[src="/%s"]')?.naturalWidth === 1200`, sum))
	b.shot("report-with-photo")
}

// The node's refusals reach the writer in the catalogue's words: an
// event over the node's rate limit ("rate-limited: ...") and a photo from
// a key an invite-only node has not admitted ("restricted: ...").
func TestFeedRefusalsInCatalogueWords(t *testing.T) {
	// A rate below one event per burst: every event is refused, and the
	// node's clock stands still, so no tokens come back.
	fn := startFeedNode(t, node.Config{Relay: relay.Limits{EventsPerSecond: 0.05}})
	es := feedCatalogue(t, "es")
	stranger := newFeedKey(t)
	b := newFeedBrowser(t, fn)
	b.open(stranger, "es")
	b.tap("#feed-write")
	b.typeInto("#feed-note-text", "Hola")
	b.tap("#feed-publish")
	b.waitJS(`document.querySelector('#feed-compose-status')?.classList.contains('feed-error')`)
	if got := b.text("#feed-compose-status"); !strings.Contains(got, es["feed.refused.rate-limited"]) || !strings.Contains(got, "rate-limited:") {
		t.Errorf("a rate-limited note says %q; want %q and the node's own words", got, es["feed.refused.rate-limited"])
	}
	b.shot("es-rate-limited")

	photo := jpegWithGPS(t, 64, 48)
	file := filepath.Join(t.TempDir(), "p.jpg")
	if err := os.WriteFile(file, photo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A node that takes uploads only from invited guests.
	fn = startFeedNode(t, node.Config{Guests: node.Guests{Invite: "TULIP42"}})
	b = newFeedBrowser(t, fn)
	b.allow("the server responded with a status of 403") // the refused upload, as the browser logs it
	b.open(stranger, "es")
	b.tap("#feed-write")
	b.tap("#feed-kind-report")
	b.typeInto("#feed-title", "Agua")
	b.typeInto("#feed-body", "Hay agua.")
	b.run("choose the photo", chromedp.SetUploadFiles(chromedp.CSS("#feed-photo"), []string{file}))
	b.waitJS(`!!document.querySelector('#feed-photo-clean')`)
	b.tap("#feed-publish")
	b.waitJS(`document.querySelector('#feed-compose-status')?.classList.contains('feed-error')`)
	if got := b.text("#feed-compose-status"); !strings.Contains(got, es["feed.refused.restricted"]) {
		t.Errorf("a refused upload says %q; want %q", got, es["feed.refused.restricted"])
	}
	b.shot("es-upload-refused")
	if raws, _ := fn.Node.Query(context.Background(), nostr.Filter{Authors: []string{stranger.pk}}, 10); len(raws) != 0 {
		t.Errorf("the node holds %d events of the refused writer", len(raws))
	}
}

// feedCatalogue reads the tab's catalogue in lang.
func feedCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("assets", "i18n", lang, "feed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/feed.json: %v", lang, err)
	}
	return m
}

// A report's markdown is anyone's: texts made to be slow to parse (deep
// nesting, thousands of unclosed brackets and markers) are drawn in
// bounded work, nesting stops at its limit, and the page stays alive.
// Times are logged, not asserted:
//
//	go test -run TestFeedMarkdownBoundedWork -v ./phone
func TestFeedMarkdownBoundedWork(t *testing.T) {
	fn := startFeedNode(t, node.Config{})
	b := newFeedBrowser(t, fn)
	b.open(newFeedKey(t), "en")
	const n = 256 << 10 // the largest event a node takes, by default
	var res []struct {
		Name  string
		Ms    float64
		Depth int
		Nodes int
	}
	b.evalInto(fmt.Sprintf(`(async () => {
		const { render } = await import('/phone/js/feed/markdown.js');
		const el = (tag, attrs) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
		const { makeH } = await import('/phone/js/feed/util.js');
		const h = makeH(el);
		const opts = { h, image: () => h('span', {}), link: (href, kids) => h('a', { href }, kids) };
		const n = %d;
		const fill = (s) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
		const cases = {
			brackets: fill('['), 'links-unclosed': fill('[a]('), emphasis: fill('*a'), mixed: fill('**_~~'),
			backticks: fill('`+"`"+`') + 'x', quotes: fill('> ') + 'x', lists: fill('- ') + 'x',
			'indented-lists': fill('  '.repeat(20) + '- x\n'), entities: fill('&#x61;&amp;'), urls: fill('https://a.b/(c) '),
		};
		const depth = (e) => 1 + Math.max(0, ...[...e.children].map(depth));
		const out = [];
		for (const [name, src] of Object.entries(cases)) {
			const t0 = performance.now();
			const d = render(src, opts);
			out.push({ Name: name, Ms: performance.now() - t0, Depth: depth(d), Nodes: d.querySelectorAll('*').length });
		}
		return out;
	})()`, n), &res)
	for _, r := range res {
		t.Logf("%-15s %6.0f ms, %6d elements, %3d deep", r.Name, r.Ms, r.Nodes, r.Depth)
		if r.Depth > 2*16+4 {
			t.Errorf("%s: elements nest %d deep; nesting should stop at 16 quotes or lists", r.Name, r.Depth)
		}
	}
	if len(res) != 10 {
		t.Fatalf("measured %d cases", len(res))
	}
}
