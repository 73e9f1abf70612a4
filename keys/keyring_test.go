package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	"github.com/nbd-wtf/go-nostr/nip49"
)

func testRing(t *testing.T) (*Keyring, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	k.LogN = 4 // fast for tests; the default is DefaultLogN
	return k, dir
}

func TestNewEncryptsAndUnlocks(t *testing.T) {
	k, dir := testRing(t)
	id, err := k.New("me", "correct horse", false)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Default || !id.Encrypted || !id.Unlocked {
		t.Fatalf("new identity: %+v", id)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "me.json"))
	if !bytes.Contains(raw, []byte("ncryptsec1")) || bytes.Contains(raw, []byte("nsec1")) {
		t.Fatalf("key file does not hold only an ncryptsec:\n%s", raw)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "me.json")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}

	// A fresh process sees it locked; signing needs the passphrase.
	k2, _ := OpenKeyring(dir)
	ev := &nostr.Event{Kind: 1, CreatedAt: 1, Content: "hi"}
	if err := k2.Sign("", ev); !errors.Is(err, ErrLocked) {
		t.Fatalf("sign while locked: %v", err)
	}
	if _, err := k2.Unlock("", "wrong"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := k2.Unlock("me", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if err := k2.Sign("", ev); err != nil {
		t.Fatal(err)
	}
	if err := event.Verify(ev); err != nil || ev.PubKey != id.PubKey.Hex() {
		t.Fatalf("signed event does not verify as %s: %v", id.NPub, err)
	}
	k2.Lock()
	if err := k2.Sign("", ev); !errors.Is(err, ErrLocked) {
		t.Fatalf("sign after Lock: %v", err)
	}
}

func TestPassphraseRequiredUnlessExplicit(t *testing.T) {
	k, dir := testRing(t)
	if _, err := k.New("me", "", false); !errors.Is(err, ErrNeedPassphrase) {
		t.Fatalf("empty passphrase: %v", err)
	}
	if _, err := k.New("bot", "", true); err != nil {
		t.Fatal(err)
	}
	k2, _ := OpenKeyring(dir)
	id, _ := k2.Get("bot")
	if id.Encrypted || !id.Unlocked {
		t.Fatalf("unencrypted identity after reopen: %+v", id)
	}
	// A passphrase and the choice of none at once: the passphrase is not
	// silently dropped, nothing is stored.
	nsec, _ := nip19.EncodePrivateKey(strings.Repeat("01", 32))
	for what, err := range map[string]error{
		"new":    second(k.New("both", "a passphrase", true)),
		"import": second(k.Import("both", nsec, "a passphrase", true)),
		"passwd": second(k.ChangePassphrase("bot", "", "a passphrase", true)),
	} {
		if !errors.Is(err, ErrBothPassphrases) {
			t.Errorf("%s with a passphrase and none: %v", what, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "both.json")); !os.IsNotExist(err) {
		t.Fatalf("an identity was stored: %v", err)
	}
	if id, _ := k.Get("bot"); id.Encrypted {
		t.Fatal("passwd with both changed the key")
	}
}

func second[T any](_ T, err error) error { return err }

func TestSeveralIdentitiesAndDefault(t *testing.T) {
	k, _ := testRing(t)
	k.New("me", "pw", false)
	k.New("work", "pw2", false)
	if _, err := k.New("me", "pw", false); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	def, _ := k.Get("")
	if def.Name != "me" {
		t.Fatalf("default is %q, want the first, me", def.Name)
	}
	if err := k.SetDefault("work"); err != nil {
		t.Fatal(err)
	}
	if def, _ = k.Get(""); def.Name != "work" {
		t.Fatalf("default after use: %q", def.Name)
	}
	if err := k.SetDefault("nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("use unknown: %v", err)
	}
	list, _ := k.List()
	if len(list) != 2 || list[0].Name != "me" || !list[1].Default {
		t.Fatalf("list: %+v", list)
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	k, _ := testRing(t)
	sk := nostr.GeneratePrivateKey()
	pk, _ := nostr.GetPublicKey(sk)
	nsec, _ := nip19.EncodePrivateKey(sk)

	id, err := k.Import("a", nsec, "pw", false)
	if err != nil || id.PubKey.Hex() != pk {
		t.Fatalf("import nsec: %+v %v", id, err)
	}
	enc, _ := k.Export("a")
	if !strings.HasPrefix(enc, "ncryptsec1") {
		t.Fatalf("export gives %q, want the ncryptsec", enc)
	}
	if back, err := nip49.Decrypt(enc, "pw"); err != nil || back != sk {
		t.Fatalf("exported ncryptsec does not decrypt to the key: %v", err)
	}
	if _, err := k.ExportNSec("a", "nope"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("nsec export with wrong passphrase: %v", err)
	}
	if got, _ := k.ExportNSec("a", "pw"); got != nsec {
		t.Fatalf("nsec export: %q", got)
	}
	// Import of the same key under another name is refused.
	if _, err := k.Import("b", sk, "pw", false); !errors.Is(err, ErrExists) {
		t.Fatalf("re-import: %v", err)
	}
	// Importing an ncryptsec needs its passphrase.
	k2, _ := testRing(t)
	if _, err := k2.Import("x", enc, "bad", false); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("ncryptsec with wrong passphrase: %v", err)
	}
	if id, err := k2.Import("x", enc, "pw", false); err != nil || id.PubKey.Hex() != pk || !id.Encrypted {
		t.Fatalf("ncryptsec import: %+v %v", id, err)
	}
}

func TestImportRejectsHostileSecrets(t *testing.T) {
	k, _ := testRing(t)
	zero := strings.Repeat("0", 64)
	bigLogN := func() string {
		// A well-formed ncryptsec whose log_n byte says 2^40.
		s, _ := nip49.Encrypt(strings.Repeat("11", 32), "pw", 4, 0x02)
		return rewriteLogN(t, s, 40)
	}()
	for _, bad := range []string{"", "nsec1", "hello", zero, "ncryptsec1qqqq", bigLogN, strings.Repeat("ncryptsec1", 100)} {
		if _, err := k.Import("x", bad, "pw", false); err == nil {
			t.Errorf("import %q succeeded", bad)
		}
	}
}

func TestChangePassphrase(t *testing.T) {
	k, dir := testRing(t)
	k.New("me", "old", false)
	if _, err := k.ChangePassphrase("me", "wrong", "new", false); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("change with wrong old: %v", err)
	}
	if _, err := k.ChangePassphrase("me", "old", "new", false); err != nil {
		t.Fatal(err)
	}
	k2, _ := OpenKeyring(dir)
	if _, err := k2.Unlock("me", "old"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatal("old passphrase still works")
	}
	if _, err := k2.Unlock("me", "new"); err != nil {
		t.Fatal(err)
	}
}

func TestParsePublicKey(t *testing.T) {
	sk := nostr.GeneratePrivateKey()
	pk, _ := nostr.GetPublicKey(sk)
	npub, _ := nip19.EncodePublicKey(pk)
	nprofile, _ := nip19.EncodeProfile(pk, []string{"ws://10.0.0.2:7447"})
	nsec, _ := nip19.EncodePrivateKey(sk)
	for _, good := range []string{pk, strings.ToUpper(pk), npub, "nostr:" + npub, nprofile, " " + npub + "\n"} {
		got, _, err := ParsePublicKey(good)
		if err != nil || got.Hex() != pk {
			t.Errorf("ParsePublicKey(%q) = %q, %v", good, got, err)
		}
	}
	_, relays, _ := ParsePublicKey(nprofile)
	if len(relays) != 1 || relays[0] != "ws://10.0.0.2:7447" {
		t.Errorf("nprofile relays: %v", relays)
	}
	// A changed last character breaks the checksum (changed for sure: the
	// random key's npub may already end in "q").
	last := "q"
	if strings.HasSuffix(npub, "q") {
		last = "p"
	}
	for _, bad := range []string{"", "npub1", nsec, strings.Repeat("f", 64), "note1xyz", npub[:len(npub)-1] + last} {
		if _, _, err := ParsePublicKey(bad); !errors.Is(err, ErrNotAKey) {
			t.Errorf("ParsePublicKey(%q) = %v, want ErrNotAKey", bad, err)
		}
	}
}

func rewriteLogN(t *testing.T, s string, logN byte) string {
	t.Helper()
	_, bits5, err := bech32.DecodeNoLimit(s)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := bech32.ConvertBits(bits5, 5, 8, false)
	data[1] = logN
	bits5, _ = bech32.ConvertBits(data, 8, 5, true)
	out, err := bech32.Encode("ncryptsec", bits5)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckPassphraseEvenWhenUnlocked(t *testing.T) {
	k, _ := testRing(t)
	if _, err := k.New("me", "right", false); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Unlock("me", "right"); err != nil {
		t.Fatal(err)
	}
	// Unlock answers "unlocked" whatever the passphrase once it is; a
	// sign-in must not.
	if err := k.CheckPassphrase("", "wrong"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("wrong passphrase on an unlocked identity: %v", err)
	}
	if err := k.CheckPassphrase("", "right"); err != nil {
		t.Fatalf("right passphrase: %v", err)
	}
	if _, err := k.New("bare", "", true); err != nil {
		t.Fatal(err)
	}
	if err := k.CheckPassphrase("bare", "anything"); !errors.Is(err, ErrNeedPassphrase) {
		t.Fatalf("identity without passphrase: %v", err)
	}
}

func TestEraseAll(t *testing.T) {
	k, dir := testRing(t)
	a, _ := k.New("a", "p", false)
	if _, err := k.New("b", "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Unlock("a", "p"); err != nil {
		t.Fatal(err)
	}
	n, err := k.EraseAll()
	if err != nil || n != 2 {
		t.Fatalf("EraseAll: %d, %v", n, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left in the keyring: %v", left)
	}
	if err := k.Sign("a", &nostr.Event{Kind: 1}); err == nil {
		t.Fatal("signed with an erased key")
	}
	if _, err := k.Get(""); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("after erase: %v", err)
	}
	b, err := k.New("a", "", true)
	if err != nil || b.PubKey == a.PubKey {
		t.Fatalf("new identity after erase: %v", err)
	}
}
