package msg

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// VaultStore keeps opaque rows; package store implements it.
type VaultStore interface {
	VaultPut(ctx context.Context, owner, key, kind, data []byte) error
	VaultGet(ctx context.Context, owner, key []byte) ([]byte, error)
	VaultList(ctx context.Context, owner, kind []byte) ([][]byte, error)
	VaultDelete(ctx context.Context, owner, key []byte) error
}

// Vault is one identity's private rows: messages, contacts, groups,
// settings. Each row is encrypted with XChaCha20-Poly1305; its name and
// kind are stored only as keyed hashes, so the database shows how many rows
// there are and nothing else. The key comes from the identity's secret key
// (Keyring.VaultKey): an identity with a passphrase must be unlocked to
// read or write its vault.
type Vault struct {
	// Rand is the source of row nonces. If nil, crypto/rand. A
	// deterministic Rand is for simulation and tests only.
	Rand io.Reader

	st    VaultStore
	owner []byte
	aead  interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
		NonceSize() int
	}
	mac []byte
}

// ErrVaultDamaged means a row does not decrypt under the vault key.
var ErrVaultDamaged = errors.New("vault row does not decrypt")

// OpenVault opens the vault of the identity with public key owner (hex).
func OpenVault(st VaultStore, owner string, key [32]byte) (*Vault, error) {
	o, err := hex.DecodeString(owner)
	if err != nil || len(o) != 32 {
		return nil, fmt.Errorf("vault owner %q is not a public key", owner)
	}
	r := hkdf.New(sha256.New, key[:], nil, []byte("caravan vault v1"))
	enc := make([]byte, 32)
	mac := make([]byte, 32)
	io.ReadFull(r, enc)
	io.ReadFull(r, mac)
	aead, err := chacha20poly1305.NewX(enc)
	if err != nil {
		return nil, err
	}
	return &Vault{st: st, owner: o, aead: aead, mac: mac}, nil
}

func (v *Vault) hash(parts ...string) []byte {
	h := hmac.New(sha256.New, v.mac)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// sealed is what a row holds once decrypted: its name (checked on Get, so
// rows cannot be swapped) and its value.
type sealed struct {
	Name  string          `json:"n"`
	Value json.RawMessage `json:"v"`
}

// Put stores val (as JSON) under kind and name.
func (v *Vault) Put(ctx context.Context, kind, name string, val any) error {
	inner, err := json.Marshal(val)
	if err != nil {
		return err
	}
	plain, _ := json.Marshal(sealed{Name: name, Value: inner})
	nonce := make([]byte, v.aead.NonceSize())
	r := v.Rand
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, nonce); err != nil {
		return err
	}
	kh := v.hash("kind", kind)
	data := v.aead.Seal(nonce, nonce, plain, kh)
	return v.st.VaultPut(ctx, v.owner, v.hash("row", kind, name), kh, data)
}

// Get reads the row kind/name into val; it reports whether there was one.
func (v *Vault) Get(ctx context.Context, kind, name string, val any) (bool, error) {
	data, err := v.st.VaultGet(ctx, v.owner, v.hash("row", kind, name))
	if err != nil || data == nil {
		return false, err
	}
	row, err := v.open(data, kind)
	if err != nil {
		return false, err
	}
	if row.Name != name {
		return false, ErrVaultDamaged
	}
	return true, json.Unmarshal(row.Value, val)
}

// Has reports whether a row exists, without decrypting it.
func (v *Vault) Has(ctx context.Context, kind, name string) (bool, error) {
	data, err := v.st.VaultGet(ctx, v.owner, v.hash("row", kind, name))
	return data != nil, err
}

// List calls each with the value of every row of a kind.
func (v *Vault) List(ctx context.Context, kind string, each func(raw json.RawMessage) error) error {
	rows, err := v.st.VaultList(ctx, v.owner, v.hash("kind", kind))
	if err != nil {
		return err
	}
	for _, data := range rows {
		row, err := v.open(data, kind)
		if err != nil {
			return err
		}
		if err := each(row.Value); err != nil {
			return err
		}
	}
	return nil
}

func (v *Vault) open(data []byte, kind string) (sealed, error) {
	var row sealed
	n := v.aead.NonceSize()
	if len(data) < n {
		return row, ErrVaultDamaged
	}
	plain, err := v.aead.Open(nil, data[:n], data[n:], v.hash("kind", kind))
	if err != nil || json.Unmarshal(plain, &row) != nil {
		return row, ErrVaultDamaged
	}
	return row, nil
}

// Delete removes the row kind/name.
func (v *Vault) Delete(ctx context.Context, kind, name string) error {
	return v.st.VaultDelete(ctx, v.owner, v.hash("row", kind, name))
}
