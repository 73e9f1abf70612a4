package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

// Arbitrary events go through a bundle unchanged and in order.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("one event"), uint8(3))
	f.Add(bytes.Repeat([]byte("ab"), 3000), uint8(1))
	f.Add([]byte{0, 0xff, 'h', 'e', 0x80}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, pieces uint8) {
		n := int(pieces%8) + 1
		var raws [][]byte
		var ids []string
		for i := range n {
			chunk := data[i*len(data)/n : (i+1)*len(data)/n]
			sum := sha256.Sum256(append(chunk, byte(i)))
			id := hex.EncodeToString(sum[:])
			c, _ := json.Marshal(string(chunk))
			raws = append(raws, []byte(`{"id":"`+id+`","content":`+string(c)+`}`))
			ids = append(ids, id)
		}
		out := newMemOut()
		w, err := NewWriter(out, Options{Lock: Lock{Passphrase: "p"}, PartSize: MinPartSize})
		if err != nil {
			t.Fatal(err)
		}
		for i := range raws {
			if err := w.AddEvent(raws[i], ids[i], i); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(out.sources(), Keys{Passphrase: "p"})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		d, err := r.Read(func(rec Record) error {
			if rec.Event != nil {
				got = append(got, append([]byte{}, rec.Event...))
			}
			return nil
		})
		if err != nil || d.Any() {
			t.Fatalf("read: %v, damage %+v", err, d)
		}
		if len(got) != len(raws) {
			t.Fatalf("read %d events, wrote %d", len(got), len(raws))
		}
		for i := range raws {
			if !bytes.Equal(got[i], raws[i]) {
				t.Fatalf("event %d changed", i)
			}
		}
	})
}

// Any file, opened with the passphrase that made the seed bundle, yields
// an error or a damage report, never a crash or a hang.
func FuzzOpen(f *testing.F) {
	// Small seeds: the fuzzer spends its time minimising large inputs.
	// The cheapest scrypt: instrumented for coverage, it dominates.
	defer func(n int) { scryptLogN = n }(scryptLogN)
	scryptLogN = 1
	c := makeContent(f, 2)
	out, _ := write(f, c, Options{Lock: Lock{Passphrase: "p"}})
	whole := out.parts[0].buf.Bytes()
	f.Add(whole)
	f.Add(whole[:len(whole)-7])
	damaged := append([]byte{}, whole...)
	damaged[5] ^= 1 // opens with the copy of the key slots at the end
	f.Add(damaged)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Open([]Source{memSource{"f", b}}, Keys{Passphrase: "p"})
		if err != nil {
			return
		}
		r.Read(func(Record) error { return nil })
	})
}

// The record parser takes any decrypted payload: what a faulty or hostile
// writer could put inside a bundle that opens.
func FuzzRecords(f *testing.F) {
	f.Add([]byte("e\x05hello"), uint16(3))
	f.Add([]byte("b\x24"+string(make([]byte, 32))+"\x05\x02ab"), uint16(0))
	f.Add([]byte("i\x0912345678\x01l\x21"+string(make([]byte, 32))+"\x07"), uint16(9))
	f.Add([]byte("e\xff\xff\xff\xff\x0f"), uint16(1))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		var d Damage
		st := &stream{fn: func(rec Record) error {
			if rec.Data != nil && rec.Offset+int64(len(rec.Data)) > rec.Total {
				t.Fatalf("a blob piece past its blob's end")
			}
			return nil
		}, seen: map[[8]byte]bool{}, blobs: map[[32]byte]int64{}, blobWhole: map[[32]byte]bool{}}
		at := int(cut) % (len(b) + 1)
		for _, piece := range [][]byte{b[:at], b[at:]} {
			st.buf = append(st.buf, piece...)
			if err := st.parse(&d); err != nil {
				t.Fatal(err)
			}
			if st.bad {
				st.bad, st.buf = false, st.buf[:0]
			}
		}
	})
}
