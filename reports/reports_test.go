package reports

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/internal/nodetest"
)

func TestReportsAndTranslations(t *testing.T) {
	ctx := context.Background()
	alice := nodetest.Person(t, "alice", "")
	bob := nodetest.Person(t, "bob", "")
	ra, rb := New(alice), New(bob)

	r, err := ra.Publish(ctx, "", Input{
		Title: "Protesta en Almaty", Summary: "Miles en la plaza", Lang: "ES",
		Markdown: "La policía cerró las calles.", Tags: []string{"#Kazakhstan", "protest", "protest"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Lang != "es" || len(r.Tags) != 2 || r.Versions != 1 || !strings.HasPrefix(r.Naddr, "naddr1") {
		t.Fatalf("published: %+v", r)
	}
	ev, _ := nodehost.Of(alice).Store.Get(ctx, r.ID)
	for _, want := range [][]string{{"d", r.D}, {"title", "Protesta en Almaty"}, {"summary", "Miles en la plaza"}, {"t", "kazakhstan"}, {"L", "ISO-639-1"}, {"l", "es", "ISO-639-1"}} {
		found := false
		for _, tag := range ev.Tags {
			if strings.Join(tag, "\x00") == strings.Join(want, "\x00") {
				found = true
			}
		}
		if !found {
			t.Errorf("tag %v missing from %v", want, ev.Tags)
		}
	}
	if ev.Tags.GetFirst([]string{"published_at", ""}) == nil {
		t.Error("no published_at")
	}

	// Bob gets it and translates it.
	nodetest.Meet(t, alice, bob)
	tr, err := rb.Translate(ctx, "", r.Naddr, Input{Lang: "ru", Title: "Протест в Алматы", Markdown: "Полиция перекрыла улицы."})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Of == nil || tr.Of.Version != r.ID || tr.Outdated || tr.Lang != "ru" {
		t.Fatalf("translation: %+v", tr)
	}
	tev, _ := nodehost.Of(bob).Store.Get(ctx, tr.ID)
	if a := tev.Tags.GetFirst([]string{"a", r.Address}); a == nil || len(*a) < 4 || (*a)[3] != TranslationMarker {
		t.Errorf("a tag: %v", tev.Tags)
	}
	if e := tev.Tags.GetFirst([]string{"e", r.ID}); e == nil || len(*e) < 4 || (*e)[3] != TranslationMarker {
		t.Errorf("e tag: %v", tev.Tags)
	}
	nodetest.Meet(t, alice, bob)

	// Readers see the languages and translators.
	list, err := ra.List(ctx, Filter{})
	if err != nil || len(list) != 1 || len(list[0].Translations) != 1 || list[0].Translations[0].Author != tr.Author {
		t.Fatalf("list: %+v %v", list, err)
	}
	if l, _ := ra.List(ctx, Filter{Lang: "ru"}); len(l) != 1 {
		t.Errorf("ru: %d reports", len(l))
	}
	if l, _ := ra.List(ctx, Filter{Lang: "en"}); len(l) != 0 {
		t.Errorf("en: %d reports", len(l))
	}
	read, err := ra.Read(ctx, r.Naddr, "ru", "")
	if err != nil || read.Markdown != "Полиция перекрыла улицы." {
		t.Fatalf("read ru: %+v %v", read, err)
	}
	if _, err := ra.Read(ctx, r.Naddr, "en", ""); !errors.Is(err, ErrNoReport) || !strings.Contains(err.Error(), "ru") {
		t.Errorf("read en: %v", err)
	}

	// An edit keeps published_at and the old version, and outdates the
	// translation.
	r2, err := ra.Publish(ctx, "", Input{D: r.D, Title: "Protesta en Almaty (actualizado)", Lang: "es", Markdown: "La policía cerró las calles. Ahora están abiertas."})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Published != r.Published || r2.Versions != 2 || r2.Naddr != r.Naddr || len(r2.Translations) != 1 || !r2.Translations[0].Outdated {
		t.Fatalf("edit: %+v", r2)
	}
	old, err := ra.Read(ctx, r.Naddr, "", r.ID)
	if err != nil || old.Markdown != "La policía cerró las calles." {
		t.Errorf("earlier version: %+v %v", old, err)
	}

	// An attachment listed twice is one imeta tag.
	data := []byte("a document")
	att, err := ra.Attach(ctx, "", AttachInput{Data: data, Name: "doc.txt"})
	if err != nil {
		t.Fatal(err)
	}
	r3, err := ra.Publish(ctx, "", Input{D: r.D, Title: r2.Title, Lang: "es", Markdown: "con documento", Attachments: []Attachment{att, att}})
	if err != nil || len(r3.Attach) != 1 || r3.Attach[0].SHA256 != att.SHA256 || !r3.Attach[0].Held {
		t.Fatalf("attachments: %+v %v", r3, err)
	}

	// Translating what is not here publishes nothing.
	before, _ := nodehost.Of(bob).Store.Stats(ctx)
	missing := Naddr(strings.Repeat("ab", 32), "nothing")
	if _, err := rb.Translate(ctx, "", missing, Input{Lang: "en", Markdown: "x"}); !errors.Is(err, ErrNoReport) {
		t.Errorf("translate nothing: %v", err)
	}
	for _, bad := range []string{"npub1xyz", "naddr1qqqq", "", "30023:zz:d"} {
		if _, err := rb.Translate(ctx, "", bad, Input{Lang: "en", Markdown: "x"}); err == nil {
			t.Errorf("translate %q: no error", bad)
		}
	}
	if after, _ := nodehost.Of(bob).Store.Stats(ctx); after.Events != before.Events {
		t.Errorf("a failed translation stored something: %d -> %d events", before.Events, after.Events)
	}

	// Bad input.
	for _, in := range []Input{
		{Title: "", Lang: "es", Markdown: "x"},
		{Title: "t", Lang: "xx", Markdown: "x"},
		{Title: "t", Lang: "spanish", Markdown: "x"},
		{Title: "t", Lang: "es", Markdown: "  "},
		{Title: "a\nb", Lang: "es", Markdown: "x"},
		{Title: "t", Lang: "es", Markdown: "x", Attachments: []Attachment{{SHA256: strings.Repeat("0", 64)}}},
	} {
		if _, err := ra.Publish(ctx, "", in); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}

	// Status: bob holds the current version after they meet again.
	nodetest.Meet(t, alice, bob)
	st, err := ra.Status(ctx, r.Naddr)
	if err != nil || len(st.Holders) != 1 || !st.Holders[0].Current {
		t.Errorf("status: %+v %v", st, err)
	}
}

func TestDraftsStayLocal(t *testing.T) {
	ctx := context.Background()
	alice := nodetest.Person(t, "alice", "")
	bob := nodetest.Person(t, "bob", "")
	ra, rb := New(alice), New(bob)
	d, err := ra.SaveDraft(ctx, "", Draft{Input: Input{Title: "Draft", Markdown: "not yet", Lang: "en"}, Import: []string{"decoded as Windows-1251"}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Meet(t, alice, bob)
	if st, _ := nodehost.Of(bob).Store.Stats(ctx); st.Events != 0 {
		t.Errorf("bob got %d events from a node holding only a draft", st.Events)
	}
	ds, err := ra.Drafts(ctx, "")
	if err != nil || len(ds) != 1 || ds[0].Markdown != "not yet" || ds[0].Import[0] != "decoded as Windows-1251" {
		t.Fatalf("drafts: %+v %v", ds, err)
	}
	r, err := ra.PublishDraft(ctx, "", d.D, Input{Title: "Final"})
	if err != nil || r.Title != "Final" || r.Markdown != "not yet" {
		t.Fatalf("publish: %+v %v", r, err)
	}
	if ds, _ := ra.Drafts(ctx, ""); len(ds) != 0 {
		t.Errorf("the draft stayed after publishing")
	}
	nodetest.Meet(t, alice, bob)
	if l, _ := rb.List(ctx, Filter{}); len(l) != 1 {
		t.Errorf("bob has %d reports", len(l))
	}
}

// An attachment follows its report to another node, which then shows it
// as held.
func TestAttachmentFollowsReport(t *testing.T) {
	ctx := context.Background()
	alice := nodetest.Person(t, "alice", "")
	bob := nodetest.Person(t, "bob", "")
	att, err := New(alice).Attach(ctx, "", AttachInput{Data: []byte("a document"), Name: "doc.txt"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(alice).Publish(ctx, "", Input{Title: "Document", Lang: "en", Markdown: "see it", Attachments: []Attachment{att}})
	if err != nil {
		t.Fatal(err)
	}
	nodetest.Meet(t, alice, bob)
	read, err := New(bob).Read(ctx, r.Naddr, "", "")
	if err != nil || len(read.Attach) != 1 || !read.Attach[0].Held {
		t.Errorf("bob's view: %+v %v", read, err)
	}
}
