package msg

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip44"
	"golang.org/x/crypto/hkdf"
)

// The official NIP-44 test vectors (shared/specs/vectors), every valid and
// invalid case, against the implementation Caravan uses (go-nostr's nip44,
// through this package's helpers).
type vectors struct {
	V2 struct {
		Valid struct {
			GetConversationKey []struct {
				Sec1            string `json:"sec1"`
				Pub2            string `json:"pub2"`
				ConversationKey string `json:"conversation_key"`
			} `json:"get_conversation_key"`
			GetMessageKeys struct {
				ConversationKey string `json:"conversation_key"`
				Keys            []struct {
					Nonce       string
					ChachaKey   string `json:"chacha_key"`
					ChachaNonce string `json:"chacha_nonce"`
					HmacKey     string `json:"hmac_key"`
				}
			} `json:"get_message_keys"`
			CalcPaddedLen  [][2]int `json:"calc_padded_len"`
			EncryptDecrypt []struct {
				Sec1            string `json:"sec1"`
				Sec2            string `json:"sec2"`
				ConversationKey string `json:"conversation_key"`
				Nonce           string `json:"nonce"`
				Plaintext       string `json:"plaintext"`
				Payload         string `json:"payload"`
			} `json:"encrypt_decrypt"`
			EncryptDecryptLongMsg []struct {
				ConversationKey string `json:"conversation_key"`
				Nonce, Pattern  string
				Repeat          int
				PlaintextSha256 string `json:"plaintext_sha256"`
				PayloadSha256   string `json:"payload_sha256"`
			} `json:"encrypt_decrypt_long_msg"`
		}
		Invalid struct {
			EncryptMsgLengths  []int                               `json:"encrypt_msg_lengths"`
			GetConversationKey []struct{ Sec1, Pub2, Note string } `json:"get_conversation_key"`
			Decrypt            []struct {
				ConversationKey string `json:"conversation_key"`
				Payload         string `json:"payload"`
				Note            string `json:"note"`
			} `json:"decrypt"`
		}
	} `json:"v2"`
}

// loadVectors reads the vectors: a copy is kept in testdata (from
// shared/specs/vectors/nip44.vectors.json) so the test runs in any clone.
func loadVectors(t *testing.T) vectors {
	b, err := os.ReadFile(filepath.Join("testdata", "nip44.vectors.json"))
	if err != nil {
		t.Fatalf("NIP-44 vectors: %v", err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNIP44Vectors(t *testing.T) {
	v := loadVectors(t).V2

	t.Run("get_conversation_key", func(t *testing.T) {
		if len(v.Valid.GetConversationKey) == 0 {
			t.Fatal("no vectors read")
		}
		for _, c := range v.Valid.GetConversationKey {
			ck, err := nip44.GenerateConversationKey(c.Pub2, c.Sec1)
			if err != nil || hex.EncodeToString(ck[:]) != c.ConversationKey {
				t.Errorf("sec1 %s…: %x, %v, want %s", c.Sec1[:8], ck, err, c.ConversationKey)
			}
		}
		for _, c := range v.Invalid.GetConversationKey {
			if _, err := ConversationKey(c.Sec1, c.Pub2); err == nil {
				t.Errorf("invalid (%s): accepted", c.Note)
			}
		}
	})

	t.Run("get_message_keys", func(t *testing.T) {
		ck := unhex(t, v.Valid.GetMessageKeys.ConversationKey)
		if len(v.Valid.GetMessageKeys.Keys) == 0 {
			t.Fatal("no vectors read")
		}
		for _, k := range v.Valid.GetMessageKeys.Keys {
			// The derivation NIP-44 specifies: HKDF-expand(ck, nonce) -> 76 bytes.
			r := hkdf.Expand(sha256.New, ck, unhex(t, k.Nonce))
			buf := make([]byte, 76)
			io.ReadFull(r, buf)
			if hex.EncodeToString(buf[:32]) != k.ChachaKey || hex.EncodeToString(buf[32:44]) != k.ChachaNonce || hex.EncodeToString(buf[44:]) != k.HmacKey {
				t.Errorf("nonce %s…: keys differ", k.Nonce[:8])
			}
		}
	})

	t.Run("calc_padded_len", func(t *testing.T) {
		if len(v.Valid.CalcPaddedLen) == 0 {
			t.Fatal("no vectors read")
		}
		var ck [32]byte
		for _, c := range v.Valid.CalcPaddedLen {
			if got := PaddedLen(c[0]); got != c[1] {
				t.Errorf("PaddedLen(%d) = %d, want %d", c[0], got, c[1])
			}
			if c[0] > nip44.MaxPlaintextSize {
				continue // a valid length to pad, but too long to encrypt
			}
			payload, err := nip44.Encrypt(strings.Repeat("a", c[0]), ck)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := base64.StdEncoding.DecodeString(payload)
			// version(1) + nonce(32) + length prefix(2) + padded + mac(32)
			if got := len(raw) - 1 - 32 - 2 - 32; got != c[1] {
				t.Errorf("length %d pads to %d, want %d", c[0], got, c[1])
			}
		}
	})

	t.Run("encrypt_decrypt", func(t *testing.T) {
		if len(v.Valid.EncryptDecrypt) == 0 {
			t.Fatal("no vectors read")
		}
		for _, c := range v.Valid.EncryptDecrypt {
			ck, err := ConversationKey(c.Sec1, pubOf(t, c.Sec2))
			if err != nil || hex.EncodeToString(ck[:]) != c.ConversationKey {
				t.Fatalf("conversation key: %x %v", ck, err)
			}
			got, err := nip44.Encrypt(c.Plaintext, ck, nip44.WithCustomNonce(unhex(t, c.Nonce)))
			if err != nil || got != c.Payload {
				t.Errorf("encrypt %q: %v\n got  %s\n want %s", clipS(c.Plaintext), err, got, c.Payload)
			}
			pt, err := nip44.Decrypt(c.Payload, ck)
			if err != nil || pt != c.Plaintext {
				t.Errorf("decrypt: %q %v", clipS(pt), err)
			}
		}
	})

	t.Run("encrypt_decrypt_long_msg", func(t *testing.T) {
		if len(v.Valid.EncryptDecryptLongMsg) == 0 {
			t.Fatal("no vectors read")
		}
		for _, c := range v.Valid.EncryptDecryptLongMsg {
			var ck [32]byte
			copy(ck[:], unhex(t, c.ConversationKey))
			pt := strings.Repeat(c.Pattern, c.Repeat)
			if h := sha256.Sum256([]byte(pt)); hex.EncodeToString(h[:]) != c.PlaintextSha256 {
				t.Fatal("plaintext hash differs")
			}
			payload, err := nip44.Encrypt(pt, ck, nip44.WithCustomNonce(unhex(t, c.Nonce)))
			if err != nil {
				t.Fatal(err)
			}
			if h := sha256.Sum256([]byte(payload)); hex.EncodeToString(h[:]) != c.PayloadSha256 {
				t.Errorf("payload of %d×%q: hash differs", c.Repeat, c.Pattern)
			}
			if back, err := nip44.Decrypt(payload, ck); err != nil || back != pt {
				t.Errorf("long message does not decrypt: %v", err)
			}
		}
	})

	t.Run("invalid encrypt_msg_lengths", func(t *testing.T) {
		var ck [32]byte
		for _, n := range v.Invalid.EncryptMsgLengths {
			if _, err := Encrypt(strings.Repeat("a", n), ck); err == nil {
				t.Errorf("a %d-byte message was encrypted", n)
			}
		}
	})

	t.Run("invalid decrypt", func(t *testing.T) {
		if len(v.Invalid.Decrypt) == 0 {
			t.Fatal("no vectors read")
		}
		for _, c := range v.Invalid.Decrypt {
			var ck [32]byte
			copy(ck[:], unhex(t, c.ConversationKey))
			if pt, err := Decrypt(c.Payload, ck); err == nil {
				t.Errorf("invalid (%s) decrypted to %q", c.Note, clipS(pt))
			}
		}
	})
}

func pubOf(t *testing.T, sk string) string {
	pk, err := nostr.GetPublicKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func clipS(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
