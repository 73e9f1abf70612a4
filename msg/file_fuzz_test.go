package msg

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// FuzzFileMessage reads the file of a kind-15 message from anyone: its
// description is read or refused, what is read is described again by the
// same tags, and the downloaded bytes decrypt only when they are the ones
// named, to a file that encrypts back to exactly those bytes.
func FuzzFileMessage(f *testing.F) {
	enc, file, _ := EncryptFile([]byte("a photo of the square"), "image/jpeg", "square.jpg", bytes.NewReader(make([]byte, 44)))
	f.Add(file.Key, file.Nonce, file.SHA256, "22", "square.jpg", "aes-gcm", enc)
	f.Add(file.Key, file.Nonce, file.SHA256, "x", "", "aes-gcm", enc[:5])
	f.Add("zz", "", "", "", "", "chacha", []byte{})
	f.Fuzz(func(t *testing.T, key, nonce, x, size, name, alg string, data []byte) {
		rumor := &nostr.Event{Kind: event.KindFile, Content: "blossom:" + x, Tags: nostr.Tags{
			{"file-type", "image/jpeg"}, {"encryption-algorithm", alg}, {"decryption-key", key},
			{"decryption-nonce", nonce}, {"x", x}, {"size", size}, {"name", name},
		}}
		fl, err := FileOf(rumor)
		if err != nil {
			return
		}
		again, err := FileOf(&nostr.Event{Kind: event.KindFile, Content: fl.URL, Tags: fl.Tags()})
		if err != nil || !reflect.DeepEqual(again, fl) {
			t.Fatalf("%+v described again reads as %+v (%v)", fl, again, err)
		}
		plain, err := DecryptFile(data, fl)
		if err != nil {
			return
		}
		k, _ := hex.DecodeString(fl.Key)
		n, _ := hex.DecodeString(fl.Nonce)
		block, _ := aes.NewCipher(k)
		gcm, _ := cipher.NewGCM(block)
		if !bytes.Equal(gcm.Seal(nil, n, plain, nil), data) {
			t.Fatal("a file decrypted from bytes it does not encrypt back to")
		}
	})
}
