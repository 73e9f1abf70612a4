package apps

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	t0    = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	alice = evtest.NewKey("alice")
)

func sign(k evtest.Key) func(*nostr.Event) error {
	return func(ev *nostr.Event) error { return ev.Sign(k.Secret) }
}

func opts(k evtest.Key) PublishOptions {
	return PublishOptions{Sign: sign(k), Now: func() time.Time { return t0 }}
}

// testFiles are stand-ins for binaries: what matters here is names, sums
// and sizes.
var testFiles = map[string]string{
	"caravan-linux-amd64":       "\x7fELF linux amd64 binary",
	"caravan-linux-armv7":       "\x7fELF linux arm binary",
	"caravan-windows-amd64.exe": "MZ windows binary",
}

var testOrder = []string{"caravan-linux-amd64", "caravan-linux-armv7", "caravan-windows-amd64.exe"}

func sumOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// releaseDir writes a folder as scripts/release does.
func releaseDir(t *testing.T, files map[string]string, order []string) string {
	t.Helper()
	dir := t.TempDir()
	var sums []Sum
	for _, name := range order {
		write(t, filepath.Join(dir, name), files[name])
		sums = append(sums, Sum{SHA256: sumOf(files[name]), Name: name})
	}
	write(t, filepath.Join(dir, SumsFile), string(FormatSums(sums)))
	write(t, filepath.Join(dir, VersionFile), "v1.2.3\n")
	return dir
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseSums(t *testing.T) {
	h := sumOf("x")
	good := []struct {
		in   string
		want []Sum
	}{
		{h + "  caravan-linux-amd64\n", []Sum{{h, "caravan-linux-amd64"}}},
		{h + " *caravan.exe\r\n\r\n" + strings.ToUpper(h) + "  b\n", []Sum{{h, "caravan.exe"}, {h, "b"}}},
		{h + "  a", []Sum{{h, "a"}}},
	}
	for _, c := range good {
		got, err := ParseSums([]byte(c.in))
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("%q: %v %v", c.in, got, err)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.in, got[i], c.want[i])
			}
		}
	}
	bad := []struct{ in, msg string }{
		{"", "lists no files"},
		{"\n\n", "lists no files"},
		{h + " a\n", `line 1: is not "<sha256 in hex>  <file name>"`},
		{h[:63] + "  a\n", "line 1: is not"},
		{strings.Repeat("g", 64) + "  a\n", "is not a sha256 in hex"},
		{h + "  ../etc/passwd\n", "may only hold letters"},
		{h + "  a/b\n", "may only hold letters"},
		{h + `  a\b` + "\n", "may only hold letters"},
		{h + "  .hidden\n", "starts with a dot"},
		{h + "  " + SigFile + "\n", "cannot be one of the binaries"},
		{h + "  a\n" + h + "  a\n", "line 2: a is listed twice"},
		{h + "  " + strings.Repeat("a", 101) + "\n", "longer than 100"},
		{h + "  caf\u00e9\n", "may only hold letters"},
	}
	for _, c := range bad {
		_, err := ParseSums([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.msg)
		}
	}
}

func FuzzParseSums(f *testing.F) {
	f.Add([]byte(sumOf("x") + "  caravan-linux-amd64\n"))
	f.Add([]byte(sumOf("x") + " *a.exe\r\n"))
	f.Add([]byte("not a sums file"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sums, err := ParseSums(b)
		if err != nil {
			return
		}
		again, err := ParseSums(FormatSums(sums))
		if err != nil || len(again) != len(sums) {
			t.Fatalf("round trip: %v %v", again, err)
		}
		for i := range sums {
			if again[i] != sums[i] || ValidName(sums[i].Name) != nil {
				t.Fatalf("round trip: %v != %v", again[i], sums[i])
			}
		}
	})
}

func TestNameFor(t *testing.T) {
	for _, c := range []struct{ os, arch, name, words string }{
		{"linux", "amd64", "caravan-linux-amd64", "Linux PC (64-bit Intel/AMD)"},
		{"linux", "arm", "caravan-linux-armv7", "Raspberry Pi 2 or later (32-bit), other 32-bit ARM Linux"},
		{"windows", "amd64", "caravan-windows-amd64.exe", "Windows (64-bit)"},
		{"darwin", "arm64", "caravan-darwin-arm64", "Mac with Apple silicon (M1 or later)"},
		{"freebsd", "riscv64", "caravan-freebsd-riscv64", "freebsd (riscv64)"},
	} {
		f := newFile(NameFor(c.os, c.arch), "", 0)
		if f.Name != c.name || f.OS != c.os || f.Arch != c.arch || f.Platform() != c.words {
			t.Errorf("%s/%s: %+v %q", c.os, c.arch, f, f.Platform())
		}
	}
	if f := newFile("mytool", "", 0); f.OS != "" || f.Platform() != "mytool" || f.MIME != "application/octet-stream" {
		t.Errorf("unknown name: %+v", f)
	}
}

// TestPublishGolden pins the signature file, byte for byte: Schnorr
// signatures in go-nostr are deterministic for a key and message.
func TestPublishGolden(t *testing.T) {
	src := releaseDir(t, testFiles, testOrder)
	dst := filepath.Join(t.TempDir(), "apps")
	set, err := Publish(dst, src, opts(alice))
	if err != nil {
		t.Fatal(err)
	}
	if set.Version != "v1.2.3" || set.Signer != alice.Public || !set.Signed.Equal(t0) || len(set.Files) != 3 || set.PreviousSigner != "" {
		t.Fatalf("set: %+v", set)
	}
	if f := set.Files[2]; f.Name != "caravan-windows-amd64.exe" || f.Size != int64(len(testFiles[f.Name])) ||
		f.SHA256 != sumOf(testFiles[f.Name]) || f.MIME != "application/vnd.microsoft.portable-executable" {
		t.Errorf("file: %+v", f)
	}
	for _, name := range testOrder {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(b) != testFiles[name] {
			t.Errorf("%s: %q %v", name, b, err)
		}
	}
	for _, ev := range set.Events() {
		if ok, err := ev.CheckSignature(); !ok || err != nil {
			t.Errorf("signature: %v %v", ok, err)
		}
	}
	for _, name := range []string{SumsFile, SigFile} {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name)
		if *update {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test -update to rewrite):\n%s", name, golden, got)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".apps-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestPublishReplacesAndReSigns(t *testing.T) {
	src := releaseDir(t, testFiles, testOrder)
	dst := filepath.Join(t.TempDir(), "apps")
	if _, err := Publish(dst, src, opts(alice)); err != nil {
		t.Fatal(err)
	}
	// Bob got the folder from Alice's node and publishes it on his: the
	// signature travels with it and is checked, then replaced by his.
	bob := evtest.NewKey("bob")
	dst2 := filepath.Join(t.TempDir(), "apps")
	set, err := Publish(dst2, dst, PublishOptions{Sign: sign(bob), Version: "v1.2.4"})
	if err != nil {
		t.Fatal(err)
	}
	if set.Signer != bob.Public || set.PreviousSigner != npub(alice.Public) || set.Version != "v1.2.4" {
		t.Errorf("re-signed: %+v", set)
	}
	// Publishing fewer files replaces the folder whole.
	one := releaseDir(t, testFiles, testOrder[:1])
	if set, err = Publish(dst, one, opts(alice)); err != nil || len(set.Files) != 1 {
		t.Fatalf("%v %v", set, err)
	}
	if _, err := os.Stat(filepath.Join(dst, testOrder[1])); err == nil {
		t.Error("a file of the earlier publish is still there")
	}
}

func TestPublishRefusesBadInput(t *testing.T) {
	locked := errors.New("identity is locked")
	cases := []struct {
		name   string
		change func(dir string)
		o      func(*PublishOptions)
		msg    string
		hint   string
	}{
		{"sum mismatch", func(d string) { write(t, filepath.Join(d, "caravan-linux-armv7"), "something else") },
			nil, "caravan-linux-armv7: its sha256 is " + sumOf("something else") + ", but SHA256SUMS says " + sumOf(testFiles["caravan-linux-armv7"]) + "; nothing was published", "copy it again"},
		{"no sums", func(d string) { os.Remove(filepath.Join(d, SumsFile)) },
			nil, "SHA256SUMS: is missing", "sha256sum caravan-* > SHA256SUMS"},
		{"listed but absent", func(d string) { os.Remove(filepath.Join(d, "caravan-linux-amd64")) },
			nil, "caravan-linux-amd64: is listed in SHA256SUMS but is not in the folder; nothing was published", "copy it into the folder"},
		{"damaged sums", func(d string) { write(t, filepath.Join(d, SumsFile), "hello\n") },
			nil, "SHA256SUMS: line 1: is not", "as sha256sum writes them"},
		{"bad version", func(d string) { write(t, filepath.Join(d, VersionFile), "1.0 <script>\n") },
			nil, "VERSION: version \"1.0 <script>\" may only hold", "one line"},
		{"locked", nil, func(o *PublishOptions) {
			o.Sign = func(*nostr.Event) error { return locked }
		}, "sign the sums: identity is locked", ""},
		{"tampered signature in the source", func(d string) {
			dst := filepath.Join(t.TempDir(), "apps")
			if _, err := Publish(dst, d, opts(alice)); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(dst, SigFile))
			write(t, filepath.Join(d, SigFile), strings.Replace(string(b), "Caravan v1.2.3", "Caravan v9.9.9", 1))
		}, nil, "does not verify", "remove SHA256SUMS.json"},
		{"not a folder", func(d string) { os.RemoveAll(d) }, nil, "is not a folder", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := releaseDir(t, testFiles, testOrder)
			dst := filepath.Join(t.TempDir(), "apps")
			// An earlier publish must survive a failed one untouched.
			if _, err := Publish(dst, releaseDir(t, testFiles, testOrder[:1]), opts(alice)); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(dst, SigFile))
			if c.change != nil {
				c.change(src)
			}
			o := opts(alice)
			if c.o != nil {
				c.o(&o)
			}
			_, err := Publish(dst, src, o)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %q", err, c.msg)
			}
			var e *Error
			if c.hint != "" && (!errors.As(err, &e) || !strings.Contains(e.Hint, c.hint)) {
				t.Errorf("hint of %v: want %q", err, c.hint)
			}
			if c.name == "locked" && !errors.Is(err, locked) {
				t.Errorf("%v does not wrap the signer's error", err)
			}
			after, _ := os.ReadFile(filepath.Join(dst, SigFile))
			if !bytes.Equal(before, after) {
				t.Error("the published folder changed")
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".apps-*")); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

func TestVerifyRefusesTampering(t *testing.T) {
	cases := []struct {
		name   string
		change func(dir string, sig string)
		msg    string
	}{
		{"content changed", func(d, sig string) {
			write(t, filepath.Join(d, SigFile), strings.Replace(sig, "for Windows", "for Wind0ws", 1))
		}, "the signature of the entry for caravan-windows-amd64.exe does not verify"},
		{"sum in an event changed", func(d, sig string) {
			h := sumOf(testFiles["caravan-linux-amd64"])
			write(t, filepath.Join(d, SigFile), strings.ReplaceAll(sig, h, sumOf("evil")))
			write(t, filepath.Join(d, "caravan-linux-amd64"), "evil")
			sums, _ := os.ReadFile(filepath.Join(d, SumsFile))
			write(t, filepath.Join(d, SumsFile), strings.ReplaceAll(string(sums), h, sumOf("evil")))
		}, "does not verify"},
		{"sums disagree", func(d, sig string) {
			sums, _ := os.ReadFile(filepath.Join(d, SumsFile))
			write(t, filepath.Join(d, SumsFile), strings.ReplaceAll(string(sums), "caravan-linux-armv7", "caravan-linux-arm64"))
		}, "entry 2 signs caravan-linux-armv7 with sha256"},
		{"binary changed", func(d, sig string) {
			write(t, filepath.Join(d, "caravan-linux-armv7"), "evil")
		}, "caravan-linux-armv7: its sha256 is"},
		{"not JSON", func(d, sig string) { write(t, filepath.Join(d, SigFile), sig[:len(sig)/2]) }, "is not a JSON array of Nostr events"},
		{"no signature", func(d, sig string) { os.Remove(filepath.Join(d, SigFile)) }, "is missing, so nobody vouches for these sums"},
		{"entry left out", func(d, sig string) {
			sums, _ := os.ReadFile(filepath.Join(d, SumsFile))
			write(t, filepath.Join(d, SumsFile), string(sums)+sumOf("x")+"  extra\n")
		}, "signs 3 files but SHA256SUMS lists 4"},
		{"file missing", func(d, sig string) { os.Remove(filepath.Join(d, "caravan-linux-amd64")) }, "is listed in SHA256SUMS but is not in the folder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "apps")
			if _, err := Publish(dst, releaseDir(t, testFiles, testOrder), opts(alice)); err != nil {
				t.Fatal(err)
			}
			sig, _ := os.ReadFile(filepath.Join(dst, SigFile))
			c.change(dst, string(sig))
			_, err := Verify(dst, VerifyOptions{})
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v, want %q", err, c.msg)
			}
		})
	}
}

func TestVerifyMixedSigners(t *testing.T) {
	src := releaseDir(t, testFiles, testOrder)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	sa, err := Publish(a, src, opts(alice))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Publish(b, src, opts(evtest.NewKey("mallory")))
	if err != nil {
		t.Fatal(err)
	}
	mixed := append([]*nostr.Event{sa.Events()[0]}, sb.Events()[1:]...)
	var buf bytes.Buffer
	buf.WriteString("[")
	for i, ev := range mixed {
		if i > 0 {
			buf.WriteString(",")
		}
		j, _ := ev.MarshalJSON()
		buf.Write(j)
	}
	buf.WriteString("]")
	write(t, filepath.Join(a, SigFile), buf.String())
	if _, err := Verify(a, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "different signers") {
		t.Fatalf("mixed signers: %v", err)
	}
}

func TestVerifyDownloadedOne(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "apps")
	if _, err := Publish(dst, releaseDir(t, testFiles, testOrder), opts(alice)); err != nil {
		t.Fatal(err)
	}
	// Someone downloads their binary and the two sum files only.
	dl := t.TempDir()
	for _, name := range []string{SumsFile, SigFile, "caravan-linux-armv7"} {
		b, _ := os.ReadFile(filepath.Join(dst, name))
		write(t, filepath.Join(dl, name), string(b))
	}
	if _, err := Verify(dl, VerifyOptions{}); err == nil {
		t.Fatal("strict verify accepted missing files")
	}
	set, err := Verify(dl, VerifyOptions{AllowMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Missing) != 2 || set.Missing[0] != "caravan-linux-amd64" || set.NPub != npub(alice.Public) {
		t.Errorf("%+v", set)
	}
	os.Remove(filepath.Join(dl, "caravan-linux-armv7"))
	if _, err := Verify(dl, VerifyOptions{AllowMissing: true}); err == nil || !strings.Contains(err.Error(), "holds none of the files") {
		t.Errorf("no file at all: %v", err)
	}
}

func TestRemove(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "apps")
	if err := Remove(dst); !errors.Is(err, ErrNothingPublished) {
		t.Fatalf("remove nothing: %v", err)
	}
	if _, err := Publish(dst, releaseDir(t, testFiles, testOrder), opts(alice)); err != nil {
		t.Fatal(err)
	}
	if err := Remove(dst); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), "*apps*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
