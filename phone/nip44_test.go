package phone_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/caravan-mesh/caravan/msg"
)

// TestBrowserNIP44Vectors runs the official NIP-44 vectors (a copy of
// shared/specs/vectors/nip44.vectors.json is msg/testdata's) in Chromium,
// through the vendored nostr-tools the page uses and through the page's
// own wrapper (js/nip44.js): conversation keys, padding, encryption with
// the given nonces, long messages, and every invalid case refused.
// (get_message_keys is not checked on its own: nostr-tools does not
// export it; the encryptions with given nonces depend on it.)
func TestBrowserNIP44Vectors(t *testing.T) {
	t.Parallel()
	vectors, err := os.ReadFile(filepath.Join("..", "msg", "testdata", "nip44.vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	tn := startNode(t)
	p := newPhone(t, "vectors", "en-US")
	p.open(tn.Base + "/")
	p.waitScreen("welcome")
	var res struct {
		Ran   int      `json:"ran"`
		Fails []string `json:"fails"`
		// LongAccepted: plaintext lengths beyond 65535 that nostr-tools
		// itself encrypts (its extended length prefix), which the page's
		// wrapper refuses.
		LongAccepted []int `json:"longAccepted"`
	}
	p.evalInto(`(async (v) => {
		const nt = await import('nostr-tools/nip44.js');
		const page = await import('/phone/js/nip44.js');
		const { getPublicKey } = await import('nostr-tools/pure.js');
		const { hexToBytes, bytesToHex } = await import('@noble/hashes/utils.js');
		const { sha256 } = await import('@noble/hashes/sha2.js');
		const V = v.v2, fails = [], longAccepted = [];
		let ran = 0;
		const sha = (s) => bytesToHex(sha256(new TextEncoder().encode(s)));
		const check = (what, got, want) => { ran++; if (got !== want) fails.push(what + ': got ' + String(got).slice(0, 80) + ', want ' + String(want).slice(0, 80)); };
		const throws = (what, f) => { ran++; try { f(); fails.push(what + ': no error'); } catch { /* refused */ } };
		for (const c of V.valid.get_conversation_key) {
			check('conversation key ' + c.sec1.slice(0, 8), bytesToHex(nt.getConversationKey(hexToBytes(c.sec1), c.pub2)), c.conversation_key);
		}
		for (const [len, want] of V.valid.calc_padded_len) check('padded length of ' + len, nt.v2.utils.calcPaddedLen(len), want);
		for (const c of V.valid.encrypt_decrypt) {
			const ck = nt.getConversationKey(hexToBytes(c.sec1), getPublicKey(hexToBytes(c.sec2)));
			check('conversation key of ' + c.sec1.slice(0, 8), bytesToHex(ck), c.conversation_key);
			for (const [name, lib] of [['nostr-tools', nt], ['page', page]]) {
				check(name + ' encrypt ' + JSON.stringify(c.plaintext.slice(0, 20)), lib.encrypt(c.plaintext, ck, hexToBytes(c.nonce)), c.payload);
				check(name + ' decrypt ' + JSON.stringify(c.plaintext.slice(0, 20)), lib.decrypt(c.payload, ck), c.plaintext);
			}
		}
		for (const c of V.valid.encrypt_decrypt_long_msg) {
			const plain = c.pattern.repeat(c.repeat);
			check('long plaintext sha256 ' + c.pattern, sha(plain), c.plaintext_sha256);
			for (const [name, lib] of [['nostr-tools', nt], ['page', page]]) {
				const payload = lib.encrypt(plain, hexToBytes(c.conversation_key), hexToBytes(c.nonce));
				check(name + ' long payload sha256 ' + c.pattern, sha(payload), c.payload_sha256);
				check(name + ' long decrypt ' + c.pattern, lib.decrypt(payload, hexToBytes(c.conversation_key)) === plain, true);
			}
		}
		const ck = hexToBytes(V.valid.encrypt_decrypt[0].conversation_key);
		for (const len of V.invalid.encrypt_msg_lengths) {
			const plain = 'a'.repeat(len);
			throws('page encrypt of ' + len + ' bytes', () => page.encrypt(plain, ck));
			if (len === 0) throws('nostr-tools encrypt of 0 bytes', () => nt.encrypt(plain, ck));
			else if (len <= 100000) { try { nt.encrypt(plain, ck); longAccepted.push(len); } catch { /* refused, as v2 says */ } }
		}
		for (const c of V.invalid.get_conversation_key) throws('conversation key: ' + c.note, () => nt.getConversationKey(hexToBytes(c.sec1), c.pub2));
		for (const c of V.invalid.decrypt) {
			throws('nostr-tools decrypt: ' + c.note, () => nt.decrypt(c.payload, hexToBytes(c.conversation_key)));
			throws('page decrypt: ' + c.note, () => page.decrypt(c.payload, hexToBytes(c.conversation_key)));
		}
		return { ran, fails, longAccepted };
	})(`+string(vectors)+`)`, &res)
	for _, f := range res.Fails {
		t.Error(f)
	}
	if res.Ran < 150 {
		t.Errorf("only %d checks ran", res.Ran)
	}
	t.Logf("%d checks of the NIP-44 vectors passed in Chromium; nostr-tools alone encrypts plaintexts of %v bytes (beyond v2's 65535), which the page's wrapper refuses", res.Ran-len(res.Fails), res.LongAccepted)
}

// TestBrowserSafetyNumbers: the page computes safety numbers exactly as
// package msg does, for keys in either order.
func TestBrowserSafetyNumbers(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	p := newPhone(t, "safety", "en-US")
	p.open(tn.Base + "/")
	p.waitScreen("welcome")
	for i := 0; i < 5; i++ {
		a, b := newPlainIdentity().pk, newPlainIdentity().pk
		want, err := msg.SafetyNumber(a, b)
		if err != nil {
			t.Fatal(err)
		}
		var got [2]string
		p.evalInto(`(async () => { const { safetyNumber } = await import('/phone/js/chat/safety.js'); return [safetyNumber(`+jsString(a)+`, `+jsString(b)+`), safetyNumber(`+jsString(b)+`, `+jsString(a)+`)]; })()`, &got)
		if got[0] != want || got[1] != want {
			t.Errorf("keys %s and %s: the page computes %q, package msg %q", a[:8], b[:8], got, want)
		}
	}
}
