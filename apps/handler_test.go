package apps

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// serve publishes the test files in a data directory and serves it on
// loopback, as the node does at /apps/.
func serve(t *testing.T, publish bool) (string, string) {
	t.Helper()
	data := t.TempDir()
	dst := filepath.Join(data, "apps")
	if publish {
		if _, err := Publish(dst, releaseDir(t, testFiles, testOrder), opts(alice)); err != nil {
			t.Fatal(err)
		}
	}
	// Things beside the folder that must never be served.
	write(t, filepath.Join(data, "secret"), "secret key")
	srv := httptest.NewServer(NewHandler(dst))
	t.Cleanup(srv.Close)
	return srv.URL, dst
}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, method, url string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestPageNothingPublished(t *testing.T) {
	base, _ := serve(t, false)
	a := get(t, "GET", base+"/apps/")
	if a.status != 200 || !strings.Contains(a.body, "This node does not offer the program yet.") ||
		!strings.Contains(a.body, "scripts/release DIR &amp;&amp; caravan apps publish DIR") {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if a := get(t, "GET", base+"/apps/SHA256SUMS"); a.status != 404 {
		t.Errorf("sums with nothing published: %d", a.status)
	}
	a = get(t, "GET", base+"/apps/?lang=kk")
	if !strings.Contains(a.body, "Бұл түйін әзірге бағдарламаны таратпайды.") {
		t.Errorf("Kazakh: %s", a.body)
	}
}

func TestPage(t *testing.T) {
	base, _ := serve(t, true)
	a := get(t, "GET", base+"/apps/")
	if a.status != 200 {
		t.Fatal(a.status)
	}
	for _, want := range []string{
		`<html lang="en">`,
		`<a href="caravan-linux-amd64" download="caravan-linux-amd64">Linux PC (64-bit Intel/AMD)</a>`,
		`<a href="caravan-windows-amd64.exe" download="caravan-windows-amd64.exe">Windows (64-bit)</a>`,
		"caravan-linux-armv7, 0.00 MB",
		sumOf(testFiles["caravan-linux-armv7"]),
		npub(alice.Public), "(2026-06-01)",
		"Version: <strong>v1.2.3</strong>",
		`href="SHA256SUMS.json"`,
		"chmod +x caravan-linux-amd64\n./caravan-linux-amd64 serve",
		`.\caravan-windows-amd64.exe serve`,
		"certutil -hashfile caravan-windows-amd64.exe SHA256",
		"xattr -d com.apple.quarantine caravan-darwin-arm64",
		`<a href="?lang=ru" hreflang="ru" lang="ru">Русский</a>`,
	} {
		if !strings.Contains(a.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(a.body), "<script") || strings.Contains(a.body, "http://") || strings.Contains(a.body, "https://") {
		t.Error("page has a script or an outside resource")
	}
	if csp := a.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'; style-src 'unsafe-inline'") {
		t.Errorf("CSP %q", csp)
	}
	if a.header.Get("Vary") != "Accept-Language" || a.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("headers %v", a.header)
	}
	if a := get(t, "HEAD", base+"/apps/"); a.status != 200 || a.body != "" || a.header.Get("Content-Length") == "" {
		t.Errorf("HEAD page: %d %q %v", a.status, a.body, a.header)
	}
}

func TestPageLanguage(t *testing.T) {
	base, _ := serve(t, true)
	cases := []struct{ accept, query, lang, text string }{
		{"", "", "en", "Choose the file for your device"},
		{"de-DE,de;q=0.9", "", "en", "Linux PC (64-bit Intel/AMD)"},
		{"es-419,es;q=0.9,en;q=0.5", "", "es", "Elige el archivo para tu dispositivo"},
		{"ru-KZ,ru;q=0.9", "", "ru", "Выберите файл для своего устройства"},
		{"kk-KZ,kk;q=0.9,ru;q=0.8", "", "kk", "Құрылғыңызға арналған файлды таңдаңыз"},
		{"es", "?lang=kk", "kk", "Linux орнатылған ДК (64-биттік Intel/AMD)"},
		{"ru", "?lang=xx", "ru", "ПК с Linux (64-битный Intel/AMD)"},
		{"garbage;;q=", "", "en", "Windows (64-bit)"},
		{"es", "?lang=ES", "es", "0,00 MB"},
	}
	for _, c := range cases {
		a := get(t, "GET", base+"/apps/"+c.query, "Accept-Language", c.accept)
		if !strings.Contains(a.body, `<html lang="`+c.lang+`">`) || !strings.Contains(a.body, c.text) || a.header.Get("Content-Language") != c.lang {
			t.Errorf("%q %q: want %s with %q:\n%.300s", c.accept, c.query, c.lang, c.text, a.body)
		}
	}
}

func TestServeFiles(t *testing.T) {
	base, _ := serve(t, true)
	name := "caravan-windows-amd64.exe"
	want := testFiles[name]
	a := get(t, "GET", base+"/apps/"+name)
	if a.status != 200 || a.body != want {
		t.Fatalf("%d %q", a.status, a.body)
	}
	for k, v := range map[string]string{
		"Content-Type":        "application/vnd.microsoft.portable-executable",
		"Content-Disposition": `attachment; filename="caravan-windows-amd64.exe"`,
		"Content-Length":      "17",
		"Etag":                `"` + sumOf(want) + `"`,
		"Accept-Ranges":       "bytes",
	} {
		if got := a.header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	// A cut download resumes with a range, if the file is still the same.
	a = get(t, "GET", base+"/apps/"+name, "Range", "bytes=3-9")
	if a.status != 206 || a.body != want[3:10] || a.header.Get("Content-Range") != "bytes 3-9/17" {
		t.Errorf("range: %d %q %v", a.status, a.body, a.header)
	}
	a = get(t, "GET", base+"/apps/"+name, "Range", "bytes=5-", "If-Range", `"`+sumOf(want)+`"`)
	if a.status != 206 || a.body != want[5:] {
		t.Errorf("If-Range same: %d %q", a.status, a.body)
	}
	a = get(t, "GET", base+"/apps/"+name, "Range", "bytes=5-", "If-Range", `"`+sumOf("old")+`"`)
	if a.status != 200 || a.body != want {
		t.Errorf("If-Range changed: %d %q", a.status, a.body)
	}
	if a := get(t, "GET", base+"/apps/"+name, "Range", "bytes=100-200"); a.status != 416 {
		t.Errorf("range past the end: %d", a.status)
	}
	a = get(t, "HEAD", base+"/apps/"+name)
	if a.status != 200 || a.body != "" || a.header.Get("Content-Length") != "17" {
		t.Errorf("HEAD: %d %q %v", a.status, a.body, a.header)
	}
	a = get(t, "GET", base+"/apps/SHA256SUMS")
	if a.status != 200 || !strings.Contains(a.body, sumOf(want)+"  "+name+"\n") || a.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("sums: %d %q %v", a.status, a.body, a.header)
	}
	a = get(t, "GET", base+"/apps/SHA256SUMS.json")
	if a.status != 200 || !strings.HasPrefix(a.body, `[`+"\n"+`{"kind":1063,`) || a.header.Get("Content-Type") != "application/json" {
		t.Errorf("signature: %d %.80q %v", a.status, a.body, a.header)
	}
	if a := get(t, "GET", base+"/apps"); a.status != 301 || a.header.Get("Location") != "/apps/" {
		t.Errorf("/apps: %d %v", a.status, a.header)
	}
	if a := get(t, "POST", base+"/apps/"+name); a.status != 405 || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d", a.status)
	}
}

func TestServeRefusesOddPaths(t *testing.T) {
	base, dst := serve(t, true)
	// In the folder but not in the signed sums.
	write(t, filepath.Join(dst, "unlisted"), "not signed")
	write(t, filepath.Join(dst, ".hidden"), "not signed")
	for _, p := range []string{
		"/apps/../secret", "/apps/%2e%2e/secret", "/apps/..%2fsecret", "/apps/%2e%2e%2fsecret",
		"/apps/..\\secret", "/apps/..%5csecret", "/apps//secret", "/apps/./SHA256SUMS",
		"/apps/caravan-linux-amd64/", "/apps/caravan-linux-amd64/x", "/apps/caravan-linux-amd64%00",
		"/apps/unlisted", "/apps/.hidden", "/apps/VERSION", "/apps/nope", "/apps/" + strings.Repeat("a", 5000),
		"/apps/CARAVAN-LINUX-AMD64", "/apps/caravan-linux-amd64%20", "/apps/%ff", "/apps/\u0430pps",
		"/secret", "/apps-other/x",
	} {
		a := get(t, "GET", base+p)
		if a.status != 404 || strings.Contains(a.body, "secret key") || strings.Contains(a.body, "not signed") {
			t.Errorf("%.60s: %d %.60q", p, a.status, a.body)
		}
	}
}

func TestServeDamagedAndReplaced(t *testing.T) {
	base, dst := serve(t, true)
	name := "caravan-linux-amd64"
	if a := get(t, "GET", base+"/apps/"+name); a.body != testFiles[name] {
		t.Fatal(a.body)
	}
	// A new publish replaces the folder: the new files are served.
	files := map[string]string{name: "\x7fELF version two"}
	if _, err := Publish(dst, releaseDir(t, files, []string{name}), opts(alice)); err != nil {
		t.Fatal(err)
	}
	if a := get(t, "GET", base+"/apps/"+name); a.status != 200 || a.body != files[name] {
		t.Errorf("after republish: %d %q", a.status, a.body)
	}
	if a := get(t, "GET", base+"/apps/caravan-linux-armv7"); a.status != 404 {
		t.Errorf("a file no longer published: %d", a.status)
	}
	// A file damaged on disk (a worn SD card) is not served, and the page
	// says why. The check runs again only when the signature changes, so a
	// new handler (a restarted node) sees it.
	if err := os.WriteFile(filepath.Join(dst, name), []byte("\x7fELF version twO"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(dst))
	defer srv.Close()
	if a := get(t, "GET", srv.URL+"/apps/"+name); a.status != 404 {
		t.Errorf("damaged file: %d %q", a.status, a.body)
	}
	a := get(t, "GET", srv.URL+"/apps/?lang=es")
	if !strings.Contains(a.body, "Los archivos publicados no pasaron la comprobación") || !strings.Contains(a.body, "its sha256 is") {
		t.Errorf("damaged page: %s", a.body)
	}
}
