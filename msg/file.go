package msg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/nbd-wtf/go-nostr"
)

// File is an attachment of a kind-15 message: the file itself is encrypted
// with AES-256-GCM under a fresh key that only the message carries (NIP-17),
// and stored as a content-addressed blob named by the hash of its
// encrypted bytes.
type File struct {
	URL    string `json:"url"`
	Type   string `json:"type"` // MIME type of the plain file
	Key    string `json:"key"`  // hex
	Nonce  string `json:"nonce"`
	SHA256 string `json:"sha256"` // of the encrypted bytes: the blob's name
	Size   int    `json:"size"`   // of the encrypted bytes
	Name   string `json:"name,omitempty"`
}

// MaxFile bounds attachments.
const MaxFile = 64 << 20

// EncryptFile encrypts data for a kind-15 message and returns the
// encrypted bytes and the description to put in the message.
func EncryptFile(data []byte, mime, name string, r io.Reader) ([]byte, File, error) {
	if len(data) > MaxFile {
		return nil, File{}, fmt.Errorf("the file is %d bytes, more than the %d allowed", len(data), MaxFile)
	}
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, 32)
	nonce := make([]byte, 12)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, File{}, err
	}
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, File{}, err
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	enc := gcm.Seal(nil, nonce, data, nil)
	sum := sha256.Sum256(enc)
	f := File{Type: mime, Key: hex.EncodeToString(key), Nonce: hex.EncodeToString(nonce),
		SHA256: hex.EncodeToString(sum[:]), Size: len(enc), Name: name}
	f.URL = "blossom:" + f.SHA256
	return enc, f, nil
}

// DecryptFile checks the blob against its hash and decrypts it.
func DecryptFile(enc []byte, f File) ([]byte, error) {
	sum := sha256.Sum256(enc)
	if hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, errors.New("the file does not match its hash")
	}
	key, err1 := hex.DecodeString(f.Key)
	nonce, err2 := hex.DecodeString(f.Nonce)
	if err1 != nil || err2 != nil || len(key) != 32 || len(nonce) != 12 {
		return nil, errors.New("the file's key or nonce is malformed")
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, enc, nil)
	if err != nil {
		return nil, errors.New("the file does not decrypt: damaged or forged")
	}
	return plain, nil
}

// Tags are a kind-15 message's tags describing the file.
func (f File) Tags() nostr.Tags {
	t := nostr.Tags{
		{"file-type", f.Type},
		{"encryption-algorithm", "aes-gcm"},
		{"decryption-key", f.Key},
		{"decryption-nonce", f.Nonce},
		{"x", f.SHA256},
		{"size", strconv.Itoa(f.Size)},
	}
	if f.Name != "" {
		t = append(t, nostr.Tag{"name", f.Name})
	}
	return t
}

// FileOf reads a kind-15 message's file description.
func FileOf(rumor *nostr.Event) (File, error) {
	f := File{URL: rumor.Content}
	for _, t := range rumor.Tags {
		if len(t) < 2 {
			continue
		}
		switch t[0] {
		case "file-type":
			f.Type = t[1]
		case "encryption-algorithm":
			if t[1] != "aes-gcm" {
				return f, fmt.Errorf("unsupported file encryption %q", t[1])
			}
		case "decryption-key":
			f.Key = t[1]
		case "decryption-nonce":
			f.Nonce = t[1]
		case "x":
			f.SHA256 = t[1]
		case "size":
			f.Size, _ = strconv.Atoi(t[1])
		case "name":
			f.Name = t[1]
		}
	}
	if f.Key == "" || f.Nonce == "" || len(f.SHA256) != 64 {
		return f, errors.New("the file message lacks its key, nonce or hash")
	}
	return f, nil
}
