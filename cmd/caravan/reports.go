package main

import (
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/markdown"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/nbd-wtf/go-nostr/nip19"
)

func init() {
	register(&command{name: "report", args: "new|edit|translate|status|drafts|publish|discard ...", short: "publish signed reports (NIP-23) and translations", run: runReport, long: `
  caravan report new --title T --lang es [--summary S] [--tag T]... [--attach FILE]... FILE.md
  caravan report new --draft ...            keep it as a draft, on this device only
  caravan report edit NADDR [--title T] ... FILE.md   publish a new version
  caravan report translate NADDR --lang ru [--title T] FILE.md
  caravan report status NADDR               which peers and relays hold it
  caravan report drafts                     your drafts (from 'report new --draft' and 'import')
  caravan report publish DRAFT [--title T] [--lang L]
  caravan report discard DRAFT

FILE is markdown ("-" reads standard input). Images and files the markdown
links to by a relative path (![Police line](photos/line.jpg)) are attached
with it, as are --attach files. Photos lose their EXIF and GPS metadata
before anything is stored (a photo's position can get someone arrested);
--keep-metadata keeps it. Earlier versions of an edited report stay
readable here ('caravan read NADDR --version ID').`})
	register(&command{name: "reports", short: "list reports, with their languages and translators", run: runReports})
	register(&command{name: "read", args: "NADDR", short: "read a report (--lang for a translation)", run: runRead})
	register(&command{name: "search", args: "WORDS", short: "full-text search over reports and notes", run: runSearch, long: `
Words match regardless of case and accents. "Quoted words" are a phrase,
word* matches a prefix, a OR b either, -word excludes. Best matches first.`})
	register(&command{name: "import", args: "FILE", short: "turn an article (.txt, .md, .html) into a report draft, repairing damaged text", run: runImport, long: `
The file is decoded (UTF-8, UTF-16, or a legacy code page such as
Windows-1251), HTML is converted to markdown, Unicode is normalised (NFC)
and mojibake is repaired: text that was once UTF-8 read as Windows-1252,
Latin-1, Mac Roman or Windows-1251 ("ÐŸÑ€Ð¸Ð²ÐµÑ‚" becomes "Привет").
Every change is listed. The draft stays on this device until you run
'caravan report publish DRAFT'.`})
	register(&command{name: "site", args: "build DIR", short: "write the reports as a static website (no JavaScript; works from a USB stick)", run: runSite})
}

type reportFlags struct {
	title, summary, lang, alt *string
	tags, attach              multiFlag
	keep                      *bool
}

func addReportFlags(fs *flag.FlagSet, rf *reportFlags) {
	rf.title = fs.String("title", "", "the title")
	rf.summary = fs.String("summary", "", "a one-paragraph summary")
	rf.lang = fs.String("lang", "", "the language, as a two-letter ISO 639-1 `CODE` (es, ru, kk, en...)")
	rf.alt = fs.String("alt", "", "a description of the --attach images, for people who cannot see them")
	fs.Var(&rf.tags, "tag", "a topic (repeatable)")
	fs.Var(&rf.attach, "attach", "attach `FILE` (repeatable)")
	rf.keep = fs.Bool("keep-metadata", false, "keep photos' EXIF/GPS metadata (it is removed by default)")
}

func runReport(c *cli, args []string) error {
	cmd := lookup("report")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	var rf reportFlags
	addReportFlags(fs, &rf)
	draft := fs.Bool("draft", false, "new: keep it as a draft on this device instead of publishing")
	asJSON := fs.Bool("json", false, "print JSON")
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 1, 3)
	if err != nil {
		return err
	}
	verb, rest := args[0], args[1:]
	run := func(f func() error) error { return c.withUnlock(ps, *as, f) }
	arg := func(i int, what string) (string, error) {
		if len(rest) <= i {
			return "", usagef("report %s needs %s; run 'caravan report --help'", verb, what)
		}
		return rest[i], nil
	}
	show := func(r *reports.Report, what string) error {
		if *asJSON {
			return printJSON(c.stdout, r)
		}
		fmt.Fprintf(c.stdout, "%s %q (%s)\n  %s\n", what, r.Title, r.Lang, r.Naddr)
		if cl.Node != nil {
			fmt.Fprintln(c.stdout, "  (stored; no node is running, so it travels once 'caravan serve' or 'caravan sync' runs)")
		}
		return nil
	}
	switch verb {
	case "new", "edit", "translate":
		var target string
		fileArg := 0
		if verb != "new" {
			if target, err = arg(0, "a report address (naddr1...)"); err != nil {
				return err
			}
			fileArg = 1
		}
		file, err := arg(fileArg, "a markdown FILE (or - for standard input)")
		if err != nil {
			return err
		}
		if len(rest) > fileArg+1 {
			return usagef("report %s: unexpected argument %q", verb, rest[fileArg+1])
		}
		md, dir, err := c.readMarkdown(file)
		if err != nil {
			return err
		}
		in := reports.Input{Title: *rf.title, Summary: *rf.summary, Lang: *rf.lang, Tags: rf.tags}
		if verb == "edit" {
			cur, err := localapi.Call(c.ctx, cl, localapi.ReadReport, localapi.ReadReportRequest{Addr: target, Lang: "", Version: ""})
			if err != nil {
				return err
			}
			in.D = cur.D
			if in.Title == "" {
				in.Title = cur.Title
			}
			if in.Summary == "" {
				in.Summary = cur.Summary
			}
			if in.Lang == "" {
				in.Lang = cur.Lang
			}
			if len(in.Tags) == 0 {
				in.Tags = cur.Tags
			}
			in.Attachments = cur.Attach
		}
		if verb != "translate" && in.Lang == "" {
			return usagef("report %s needs --lang (a two-letter code: es, ru, kk, en...)", verb)
		}
		if verb == "translate" && in.Lang == "" {
			return usagef("report translate needs --lang, the language of the translation")
		}
		if verb == "new" && in.Title == "" && !*draft {
			return usagef("report new needs --title")
		}
		var r *reports.Report
		err = run(func() error {
			md2, atts, err := c.attachAll(cl, *as, md, dir, rf)
			if err != nil {
				return err
			}
			in.Markdown = md2
			in.Attachments = append(in.Attachments, atts...)
			switch {
			case verb == "new" && *draft:
				d, err := localapi.Call(c.ctx, cl, localapi.SaveDraft, localapi.DraftRequest{As: *as, Draft: reports.Draft{Input: in}})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "Saved draft %s (on this device only). Publish it with 'caravan report publish %s'.\n", d.D, d.D)
				return nil
			case verb == "translate":
				r, err = localapi.Call(c.ctx, cl, localapi.Translate, localapi.TranslateRequest{As: *as, Addr: target, Input: in})
			default:
				r, err = localapi.Call(c.ctx, cl, localapi.PublishReport, localapi.ReportRequest{As: *as, Input: in})
			}
			return err
		})
		if err != nil || r == nil {
			return err
		}
		return show(r, map[string]string{"new": "Published", "edit": "Published a new version of", "translate": "Published the translation"}[verb])
	case "status":
		target, err := arg(0, "a report address (naddr1...)")
		if err != nil {
			return err
		}
		st, err := localapi.Call(c.ctx, cl, localapi.ReportStatus, localapi.ReportStatusRequest{Addr: target})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.stdout, st)
		}
		fmt.Fprintf(c.stdout, "%s\n  %s\n", sanitize(st.Report.Title), st.Report.Naddr)
		if len(st.Holders) == 0 {
			fmt.Fprintln(c.stdout, "No peer or relay is known to hold it yet; it leaves with the next sync.")
			return nil
		}
		for _, h := range st.Holders {
			v := "this version"
			if !h.Current {
				v = "an earlier version"
			}
			kind := h.Kind
			if kind == "" {
				kind = "peer"
			}
			fmt.Fprintf(c.stdout, "  %-6s %s: %s, seen %s\n", kind, sanitize(h.Peer), v, time.Unix(h.At, 0).Format("2006-01-02 15:04"))
		}
		return nil
	case "drafts":
		var ds []reports.Draft
		if err := run(func() error {
			ds, err = localapi.Call(c.ctx, cl, localapi.Drafts, localapi.AsRequest{As: *as})
			return err
		}); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.stdout, ds)
		}
		if len(ds) == 0 {
			fmt.Fprintln(c.stdout, "No drafts.")
		}
		for _, d := range ds {
			title := d.Title
			if title == "" {
				title = "(no title)"
			}
			fmt.Fprintf(c.stdout, "%s  %s  %q %s\n", d.D, time.Unix(d.Updated, 0).Format("2006-01-02 15:04"), sanitize(title), d.Lang)
		}
		return nil
	case "publish":
		d, err := arg(0, "a draft's identifier ('caravan report drafts' lists them)")
		if err != nil {
			return err
		}
		var r *reports.Report
		if err := run(func() error {
			r, err = localapi.Call(c.ctx, cl, localapi.PublishDraft, localapi.DraftRequest{As: *as, D: d, Input: reports.Input{Title: *rf.title, Summary: *rf.summary, Lang: *rf.lang, Tags: rf.tags}})
			return err
		}); err != nil {
			return err
		}
		return show(r, "Published")
	case "discard":
		d, err := arg(0, "a draft's identifier")
		if err != nil {
			return err
		}
		if err := run(func() error {
			_, err := localapi.Call(c.ctx, cl, localapi.DeleteDraft, localapi.DraftRequest{As: *as, D: d})
			return err
		}); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Discarded draft %s.\n", d)
		return nil
	}
	return usagef("unknown report command %q; run 'caravan report --help'", verb)
}

// readMarkdown reads FILE (or standard input) and returns it with the
// directory its relative links start from.
func (c *cli) readMarkdown(file string) (string, string, error) {
	const max = 2 << 20
	var b []byte
	var err error
	dir := "."
	if file == "-" {
		b, err = io.ReadAll(io.LimitReader(c.stdin, max+1))
	} else {
		var f *os.File
		if f, err = os.Open(file); err == nil {
			b, err = io.ReadAll(io.LimitReader(f, max+1))
			f.Close()
		}
		dir = filepath.Dir(file)
	}
	if err != nil {
		return "", "", err
	}
	if len(b) > max {
		return "", "", hint(fmt.Errorf("%s is larger than %d bytes", file, max), "a report is text; attach photos and files with --attach")
	}
	if !isText(b) {
		return "", "", hint(fmt.Errorf("%s is not UTF-8 text", file), "for other encodings, HTML or damaged text use 'caravan import %s'", file)
	}
	return string(b), dir, nil
}

func isText(b []byte) bool {
	return strings.IndexByte(string(b), 0) < 0 && strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}

// localLink finds markdown links and images with a relative target.
var localLink = regexp.MustCompile(`(!?\[[^\]\n]*\]\()([^)\s]+)((?:\s+"[^"\n]*")?\))`)

// attachAll attaches the files the markdown links to by relative path and
// the --attach files, and points the links at the stored blobs.
func (c *cli) attachAll(cl *localapi.Client, as, md, dir string, rf reportFlags) (string, []reports.Attachment, error) {
	var atts []reports.Attachment
	byPath := map[string]reports.Attachment{}
	attach := func(path string) (reports.Attachment, error) {
		if a, ok := byPath[path]; ok {
			return a, nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return reports.Attachment{}, fmt.Errorf("attach %s: %w", path, err)
		}
		mt := mime.TypeByExtension(filepath.Ext(path))
		if mt == "" {
			mt = http.DetectContentType(data)
		}
		a, err := cl.Attach(c.ctx, as, filepath.Base(path), *rf.alt, mt, data, *rf.keep)
		if err != nil {
			return a, fmt.Errorf("attach %s: %w", path, err)
		}
		if a.KeptMetadata && a.HadGPS {
			fmt.Fprintf(c.stderr, "WARNING: %s keeps its metadata (--keep-metadata), including the GPS position where it was taken.\n", filepath.Base(path))
		}
		if len(a.Removed) > 0 {
			fmt.Fprintf(c.stderr, "%s: removed %s before publishing", filepath.Base(path), strings.Join(a.Removed, ", "))
			if a.HadGPS {
				fmt.Fprint(c.stderr, " (it held the GPS position where it was taken)")
			}
			fmt.Fprintln(c.stderr, "; --keep-metadata keeps it.")
		}
		byPath[path] = a
		atts = append(atts, a)
		return a, nil
	}
	var firstErr error
	md = localLink.ReplaceAllStringFunc(md, func(m string) string {
		parts := localLink.FindStringSubmatch(m)
		target := parts[2]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") || filepath.IsAbs(target) {
			return m
		}
		path := filepath.Join(dir, filepath.FromSlash(target))
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return m
		}
		a, err := attach(path)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return parts[1] + a.URL + parts[3]
	})
	if firstErr != nil {
		return "", nil, firstErr
	}
	for _, f := range rf.attach {
		linked := len(byPath)
		a, err := attach(f)
		if err != nil {
			return "", nil, err
		}
		if len(byPath) == linked {
			continue // the markdown already links to it
		}
		label := a.Alt
		if label == "" {
			label = a.Name
		}
		if strings.HasPrefix(a.MIME, "image/") {
			md = strings.TrimRight(md, "\n") + fmt.Sprintf("\n\n![%s](%s)\n", label, a.URL)
		} else {
			md = strings.TrimRight(md, "\n") + fmt.Sprintf("\n\n[%s](%s)\n", label, a.URL)
		}
	}
	return md, atts, nil
}

func runReports(c *cli, args []string) error {
	cmd := lookup("reports")
	fs := c.flags(cmd)
	lang := fs.String("lang", "", "only reports readable in `CODE` (original or translation)")
	author := fs.String("author", "", "only reports by `WHO` (a contact's name or a key)")
	limit := fs.Int("limit", 50, "show at most `N`")
	order := fs.String("order", "time", "`time` (newest first) or trust (contacts first, strangers last)")
	asJSON := fs.Bool("json", false, "print JSON")
	_, cl, err := c.connect(cmd, fs, args, 0, 0)
	if err != nil {
		return err
	}
	o, err := node.ParseOrder(*order)
	if err != nil {
		return usagef("--order: %v", err)
	}
	rs, err := localapi.Call(c.ctx, cl, localapi.Reports, localapi.ReportsRequest{Lang: *lang, Author: *author, Limit: *limit, Order: o})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, rs)
	}
	if len(rs) == 0 {
		fmt.Fprintln(c.stdout, "No reports here yet.")
		return nil
	}
	for _, r := range rs {
		by := r.AuthorName
		if by == "" {
			by = npubShort(r.Author)
		}
		fmt.Fprintf(c.stdout, "%s  [%s] %s\n    by %s%s  %s\n", time.Unix(r.Published, 0).Format("2006-01-02"), r.Lang, sanitize(r.Title), sanitize(by), trustMark(r.Trust), r.Naddr)
		for _, t := range r.Translations {
			who := t.AuthorName
			if who == "" {
				who = npubShort(t.Author)
			}
			mark := ""
			if t.Outdated {
				mark = "  (outdated: the original changed since)"
			}
			fmt.Fprintf(c.stdout, "    [%s] %s, translated by %s%s%s\n", t.Lang, sanitize(t.Title), sanitize(who), trustMark(t.Trust), mark)
		}
	}
	return nil
}

func npubShort(pk string) string {
	if len(pk) < 16 {
		return pk
	}
	return pk[:8] + "…" + pk[len(pk)-4:]
}

func runRead(c *cli, args []string) error {
	cmd := lookup("read")
	fs := c.flags(cmd)
	lang := fs.String("lang", "", "read the translation into `CODE`")
	version := fs.String("version", "", "read an earlier version, by its event `ID`")
	asJSON := fs.Bool("json", false, "print JSON")
	args, cl, err := c.connect(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	r, err := localapi.Call(c.ctx, cl, localapi.ReadReport, localapi.ReadReportRequest{Addr: args[0], Lang: *lang, Version: *version})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, r)
	}
	w := c.stdout
	fmt.Fprintf(w, "%s\n%s\n", sanitize(r.Title), strings.Repeat("=", min(72, len([]rune(r.Title)))))
	by := r.AuthorName
	if by == "" {
		by, _ = nip19.EncodePublicKey(r.Author)
	}
	fmt.Fprintf(w, "by %s%s, %s", sanitize(by), trustMark(r.Trust), time.Unix(r.Published, 0).Format("2 January 2006"))
	if r.Updated > r.Published+60 {
		fmt.Fprintf(w, " (updated %s)", time.Unix(r.Updated, 0).Format("2 January 2006 15:04"))
	}
	fmt.Fprintf(w, "  [%s]\n", reports.LangName(r.Lang))
	if r.Of != nil {
		fmt.Fprintf(w, "A translation of %s\n", r.Of.Naddr)
		if r.Outdated {
			fmt.Fprintln(w, "OUTDATED: the original changed after this translation was made.")
		}
	}
	if len(r.Tags) > 0 {
		fmt.Fprintf(w, "Topics: %s\n", sanitize(strings.Join(r.Tags, ", ")))
	}
	if len(r.Translations) > 0 {
		var ls []string
		for _, t := range r.Translations {
			s := t.Lang
			if t.Outdated {
				s += " (outdated)"
			}
			ls = append(ls, s)
		}
		fmt.Fprintf(w, "Also in: %s  (caravan read --lang CODE)\n", strings.Join(ls, ", "))
	}
	if r.Versions > 1 {
		fmt.Fprintf(w, "%d versions are held here.\n", r.Versions)
	}
	if r.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", strings.Join(markdown.Wrap(sanitizeText(r.Summary), 76), "\n"))
	}
	fmt.Fprintf(w, "\n%s\n", markdown.Text(r.Markdown, 76, terminalBlobs(r.Attach)))
	if len(r.Attach) > 0 {
		fmt.Fprintln(w, "\nAttachments:")
		for _, a := range r.Attach {
			held := "held here"
			if !a.Held {
				held = "not here yet"
			}
			fmt.Fprintf(w, "  %s %s, %d bytes, %s (sha256 %s)\n", sanitize(a.Name), a.MIME, a.Size, held, a.SHA256)
		}
	}
	fmt.Fprintf(w, "\n%s\nevent %s\n", r.Naddr, r.ID)
	return nil
}

// terminalBlobs names the held attachments, in the text of a report, by
// their file names, which the list of attachments after it shows.
func terminalBlobs(atts []reports.Attachment) markdown.Options {
	held := map[string]markdown.Blob{}
	for _, a := range atts {
		if a.Held {
			name := a.Name
			if name == "" {
				name = "sha256 " + a.SHA256[:min(12, len(a.SHA256))]
			}
			held[strings.ToLower(a.SHA256)] = markdown.Blob{Href: name, Image: strings.HasPrefix(a.MIME, "image/")}
		}
	}
	return markdown.Options{Blob: func(sum string) (markdown.Blob, bool) {
		b, ok := held[sum]
		return b, ok
	}}
}

func runSearch(c *cli, args []string) error {
	cmd := lookup("search")
	fs := c.flags(cmd)
	kind := fs.String("kind", "", "only `reports` or `notes`")
	limit := fs.Int("limit", 20, "show at most `N`")
	order := fs.String("order", "", "trust: your own and your contacts' matches first, strangers' last; time: newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	args, cl, err := c.connect(cmd, fs, args, 1, -1)
	if err != nil {
		return err
	}
	o, err := node.ParseOrder(*order)
	if err != nil {
		return usagef("--order: %v", err)
	}
	var kinds []int
	switch *kind {
	case "":
	case "reports", "report", "30023":
		kinds = []int{event.KindReport}
	case "notes", "note", "1":
		kinds = []int{event.KindTextNote}
	default:
		return usagef("--kind is reports or notes")
	}
	open, close := "[", "]"
	if isTerminal(c.stdout) {
		open, close = "\x1b[1m", "\x1b[0m"
	}
	hs, err := localapi.Call(c.ctx, cl, localapi.Search, localapi.SearchRequest{Q: strings.Join(args, " "), Kinds: kinds, Limit: *limit, Open: "\x02", Close: "\x03", Order: o})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, hs)
	}
	if len(hs) == 0 {
		fmt.Fprintln(c.stdout, "Nothing found.")
		return nil
	}
	mark := func(s string) string {
		// The marks are control characters, which sanitize would
		// replace: carry them through as private-use characters.
		s = strings.NewReplacer("\x02", "\uE002", "\x03", "\uE003").Replace(s)
		return strings.NewReplacer("\uE002", open, "\uE003", close).Replace(sanitize(s))
	}
	for _, h := range hs {
		by := h.AuthorName
		if by == "" {
			by = npubShort(h.Author)
		}
		what := "note"
		if h.Kind == event.KindReport {
			what = "report [" + h.Lang + "] " + mark(h.Title)
		}
		fmt.Fprintf(c.stdout, "%s  %s, by %s%s\n  %s\n  %s\n", time.Unix(h.CreatedAt, 0).Format("2006-01-02"), what, sanitize(by), trustMark(h.Trust),
			mark(strings.Join(strings.Fields(h.Snippet), " ")), h.Ref)
	}
	return nil
}

// sanitizeText is sanitize for text of many lines.
func sanitizeText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = sanitize(l)
	}
	return strings.Join(lines, "\n")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func runImport(c *cli, args []string) error {
	cmd := lookup("import")
	fs := c.flags(cmd)
	as := asFlag(c, fs)
	asJSON := fs.Bool("json", false, "print JSON")
	ps := addPassFlags(fs, false)
	args, cl, err := c.connect(cmd, fs, args, 1, 1)
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(f, localapi.MaxUpload+1))
	f.Close()
	if err != nil {
		return err
	}
	var d reports.Draft
	if err := c.withUnlock(ps, *as, func() error {
		d, err = cl.Import(c.ctx, *as, filepath.Base(args[0]), data)
		return err
	}); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(c.stdout, d)
	}
	title := d.Title
	if title == "" {
		title = "(no title found; give one with --title when publishing)"
	}
	fmt.Fprintf(c.stdout, "Imported %s as draft %s: %s\n", args[0], d.D, sanitize(title))
	if len(d.Import) == 0 {
		fmt.Fprintln(c.stdout, "The text needed no repair.")
	} else {
		fmt.Fprintln(c.stdout, "What was changed:")
		for _, n := range d.Import {
			fmt.Fprintf(c.stdout, "  - %s\n", sanitize(n))
		}
	}
	lang := ""
	if d.Lang == "" {
		lang = " --lang CODE"
	}
	fmt.Fprintf(c.stdout, "Check it ('caravan report drafts'), then publish: caravan report publish %s%s\n", d.D, lang)
	return nil
}

func runSite(c *cli, args []string) error {
	cmd := lookup("site")
	fs := c.flags(cmd)
	title := fs.String("title", "", "the site's title")
	base := fs.String("base-url", "", "where the site will be hosted (https://...), for the Atom feed's links")
	args, cl, err := c.connect(cmd, fs, args, 2, 2)
	if err != nil {
		return err
	}
	if args[0] != "build" {
		return usagef("site: the command is 'caravan site build DIR'")
	}
	dir, err := filepath.Abs(args[1])
	if err != nil {
		return err
	}
	res, err := localapi.Call(c.ctx, cl, localapi.BuildSite, localapi.SiteRequest{Dir: dir, Title: *title, Base: *base})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Wrote %d pages for %d reports in %d languages, with %d attachments, to %s\n",
		res.Pages, res.Reports, res.Languages, res.Attachments, res.Dir)
	if res.MissingAttachments > 0 {
		fmt.Fprintf(c.stdout, "%d attachments are not held here and are marked missing; they arrive with syncs.\n", res.MissingAttachments)
	}
	fmt.Fprintf(c.stdout, "Open %s in a browser, or copy the folder to a USB stick or any web host.\n", filepath.Join(dir, "index.html"))
	return nil
}
