package phone

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/caravan-mesh/caravan/node"
)

// Prefix is where the page's files are served on the relay port; the page
// itself is at "/". APIPrefix, below it, is left to whoever answers the
// page's JSON endpoints.
const (
	Prefix    = "/phone/"
	APIPrefix = "/phone/v1/"
)

// Page serves the phone page for one node.
type Page struct {
	n      *node.Node
	cancel func()
	files  func() (*fileSet, error)
}

// New registers the phone page on n's relay port: "/" and /phone/* while
// n.Config.PhonePage is on; while it is off, "/" is a short page saying
// so and how to turn it on. Close undoes it.
func New(n *node.Node) *Page {
	p := &Page{n: n}
	p.files = sync.OnceValues(func() (*fileSet, error) { return build(Assets) })
	p.cancel = n.OnRelayHTTP(p.serve)
	return p
}

// Close stops serving the page.
func (p *Page) Close() { p.cancel() }

// serve answers the requests that are the page's, and says whether it
// did.
func (p *Page) serve(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	on := p.n.Config.PhonePage
	switch {
	case r.URL.Path == "/" && !on:
		serveOff(w, r, p.n.Config.WithDefaults().Name)
		return true
	case !on || strings.HasPrefix(r.URL.Path, APIPrefix):
		return false
	case r.URL.Path != "/" && !strings.HasPrefix(r.URL.Path, Prefix):
		return false
	}
	fset, err := p.files()
	if err != nil {
		// The embedded files are checked by the tests; this is a build
		// that skipped them.
		http.Error(w, "the phone page is damaged in this build: "+err.Error(), http.StatusInternalServerError)
		return true
	}
	fset.serve(w, r)
	return true
}

// file is one of the page's files, ready to serve.
type file struct {
	name    string // path under Assets
	ctype   string
	body    []byte
	gz      []byte // nil when gzip would not make it smaller
	version string // a hash of body, the ?v= of versioned URLs and the ETag
}

type fileSet struct {
	files map[string]*file // by path under Assets
	// scriptHash is the CSP source of index.html's import map, its
	// only inline script.
	scriptHash string
}

// importMapRE finds index.html's import map.
var importMapRE = regexp.MustCompile(`(?s)(<script type="importmap">)(.*?)(</script>)`)

// localRefRE finds the page's own files named in index.html.
var localRefRE = regexp.MustCompile(`((?:src|href)=")(/phone/[^"?#]+)(")`)

// build reads the page's files, gives each a version, writes index.html's
// import map so that every module is fetched under a versioned URL (which
// may be cached for good: a new version has a new URL), and compresses
// what compresses.
func build(assets fs.FS) (*fileSet, error) {
	s := &fileSet{files: map[string]*file{}}
	err := fs.WalkDir(assets, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.files[p] = &file{name: p, body: b, version: hex.EncodeToString(sum[:6]), ctype: contentType(p)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.mergeCatalogues(); err != nil {
		return nil, err
	}
	index, ok := s.files["index.html"]
	if !ok {
		return nil, errors.New("no index.html")
	}
	html, hash, err := s.versionIndex(index.body)
	if err != nil {
		return nil, fmt.Errorf("index.html: %w", err)
	}
	index.body = html
	sum := sha256.Sum256(html)
	index.version = hex.EncodeToString(sum[:6])
	s.scriptHash = hash
	for _, f := range s.files {
		f.gz = compress(f)
	}
	return s, nil
}

// mergeCatalogues adds i18n/<lang>.json, every part of a language's
// catalogue (i18n/<lang>/*.json) in one file: one request per language
// over a slow link.
func (s *fileSet) mergeCatalogues() error {
	langs := map[string]map[string]string{}
	var names []string
	for p := range s.files {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		dir, part := path.Split(p)
		lang := path.Base(dir)
		if path.Dir(path.Clean(dir)) != "i18n" || path.Ext(part) != ".json" {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal(s.files[p].body, &m); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if langs[lang] == nil {
			langs[lang] = map[string]string{}
		}
		for k, v := range m {
			if _, dup := langs[lang][k]; dup {
				return fmt.Errorf("%s: key %q is also in another part of the %s catalogue", p, k, lang)
			}
			langs[lang][k] = v
		}
	}
	for lang, m := range langs {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := "i18n/" + lang + ".json"
		s.files[name] = &file{name: name, body: b, version: hex.EncodeToString(sum[:6]), ctype: contentType(name)}
	}
	return nil
}

// versionIndex rewrites index.html's import map and its own links to
// versioned URLs, and returns the page with the CSP hash of its import
// map.
func (s *fileSet) versionIndex(html []byte) ([]byte, string, error) {
	m := importMapRE.FindSubmatchIndex(html)
	if m == nil {
		return nil, "", errors.New(`no <script type="importmap">`)
	}
	var im struct {
		Imports map[string]string `json:"imports"`
	}
	if err := json.Unmarshal(html[m[4]:m[5]], &im); err != nil {
		return nil, "", fmt.Errorf("the import map: %w", err)
	}
	out := map[string]string{}
	for k, v := range im.Imports {
		out[k] = v
	}
	// Every module by its own URL (what relative imports resolve to)...
	for p, f := range s.files {
		if strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") {
			out[Prefix+p] = Prefix + p + "?v=" + f.version
		}
	}
	// ...and by each bare name the map gives it: the map does not apply
	// itself again to what a prefix maps to.
	for k, v := range im.Imports {
		if !strings.HasPrefix(v, Prefix) {
			return nil, "", fmt.Errorf("the import map sends %q outside %s", k, Prefix)
		}
		target := strings.TrimPrefix(v, Prefix)
		if !strings.HasSuffix(k, "/") {
			f, ok := s.files[target]
			if !ok {
				return nil, "", fmt.Errorf("the import map names %s, which is not in the page", v)
			}
			out[k] = v + "?v=" + f.version
			continue
		}
		for p, f := range s.files {
			if strings.HasPrefix(p, target) && (strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs")) {
				out[k+strings.TrimPrefix(p, target)] = Prefix + p + "?v=" + f.version
			}
		}
	}
	js, err := marshalSorted(out)
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	b.Write(html[:m[4]])
	b.Write(js)
	b.Write(html[m[5]:])
	withPreloads, err := s.preloadEntry(b.Bytes(), im.Imports)
	if err != nil {
		return nil, "", err
	}
	page := localRefRE.ReplaceAllFunc(withPreloads, func(ref []byte) []byte {
		sm := localRefRE.FindSubmatch(ref)
		f, ok := s.files[strings.TrimPrefix(string(sm[2]), Prefix)]
		if !ok {
			return ref
		}
		return []byte(string(sm[1]) + string(sm[2]) + "?v=" + f.version + string(sm[3]))
	})
	m = importMapRE.FindSubmatchIndex(page)
	sum := sha256.Sum256(page[m[4]:m[5]])
	return page, "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'", nil
}

// entryRE finds the page's entry module.
var entryRE = regexp.MustCompile(`<script type="module" src="/phone/([^"?#]+)"></script>`)

// preloadEntry puts, before the page's entry module, a modulepreload link
// for every module the entry imports statically (see modulePreloads).
func (s *fileSet) preloadEntry(html []byte, imports map[string]string) ([]byte, error) {
	m := entryRE.FindSubmatchIndex(html)
	if m == nil {
		return nil, errors.New(`no <script type="module" src="/phone/...">`)
	}
	mods, err := s.modulePreloads(string(html[m[2]:m[3]]), imports)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(html[:m[0]])
	for _, p := range mods {
		fmt.Fprintf(&b, "<link rel=\"modulepreload\" href=\"%s%s\">\n", Prefix, p)
	}
	b.Write(html[m[0]:])
	return b.Bytes(), nil
}

// marshalSorted writes {"imports": m} with sorted keys, one a line, so the
// served map reads well in a browser's source view.
func marshalSorted(m map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("\n{\"imports\":{\n")
	for i, k := range keys {
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(m[k])
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
		if i < len(keys)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}}\n")
	return b.Bytes(), nil
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".json":
		return "application/json; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case "":
		return "text/plain; charset=utf-8" // LICENSE files
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// compress gzips text files once, at the best compression: each is sent
// many times over slow links.
func compress(f *file) []byte {
	if !strings.HasPrefix(f.ctype, "text/") && !strings.HasPrefix(f.ctype, "application/json") && f.ctype != "image/svg+xml" {
		return nil
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(f.body)
	zw.Close()
	if b.Len() >= len(f.body) {
		return nil
	}
	return b.Bytes()
}

// hostRE is what may go into the CSP's connect-src from the Host header.
var hostRE = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// CSP is the page's Content-Security-Policy for a page served to host:
// scripts only from the node (and the import map, by its hash), no inline
// code, connections only back to the node (its websocket included),
// images from the node and from pictures the page makes itself.
func (s *fileSet) CSP(host string) string {
	connect := "'self'"
	if hostRE.MatchString(host) {
		connect += " ws://" + host
	}
	return "default-src 'none'; script-src 'self' " + s.scriptHash + "; connect-src " + connect +
		"; img-src 'self' blob: data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func (s *fileSet) serve(w http.ResponseWriter, r *http.Request) {
	name := "index.html"
	if r.URL.Path != "/" {
		name = strings.TrimPrefix(r.URL.Path, Prefix)
	}
	f, ok := s.files[name]
	if !ok || name == "" || strings.Contains(name, "..") {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		http.Error(w, "no such file in the phone page", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Content-Security-Policy", s.CSP(r.Host))
	h.Set("Vary", "Accept-Encoding")
	// A versioned URL never changes: keep it. Anything else (the page
	// itself, the catalogues) is asked again each time, which costs a
	// 304 when nothing changed.
	if v := r.URL.Query().Get("v"); v != "" && v == f.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := f.body, `"`+f.version+`"`
	if f.gz != nil && acceptsGzip(r) {
		body, etag = f.gz, `"`+f.version+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
