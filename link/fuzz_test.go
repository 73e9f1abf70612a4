package link

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// FuzzStream reads whatever arrives on a byte-stream link (a pipe, a
// serial line, ssh): messages come out one a line, never empty, never
// holding a newline, never over the limit (those are skipped as
// ErrTooBig and the link stays usable), counting no more bytes than
// arrived; and every message read, written back, reads the same.
func FuzzStream(f *testing.F) {
	for _, s := range []string{
		"[\"EVENT\",{}]\n", "a\nb\n\n\nc", "\r\n  x  \r\n", "too long for the limit\nok\n",
		"[\"CARAVAN-HELLO\",{\"version\":1,\"nonce\":\"00112233445566778899aabbccddeeff\"}]\n",
		"no newline at the end", "\x00\xff\n",
	} {
		f.Add([]byte(s), 8)
	}
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		max = 1 + int(uint(max)%64)
		c := Stream(bytes.NewReader(in), io.Discard, nil, max, "fuzz")
		var msgs [][]byte
		for {
			m, err := c.Read(context.Background())
			if errors.Is(err, ErrTooBig) {
				continue
			}
			if err != nil {
				break
			}
			if len(m) == 0 || bytes.IndexByte(m, '\n') >= 0 || len(m) > max+2 {
				t.Fatalf("message %q (limit %d)", m, max)
			}
			msgs = append(msgs, m)
		}
		if n := c.Stats().In; n > int64(len(in)) {
			t.Fatalf("counted %d bytes in, %d arrived", n, len(in))
		}
		var buf bytes.Buffer
		w := Stream(nil, &buf, nil, max, "back")
		for _, m := range msgs {
			if err := w.Write(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
		r := Stream(&buf, io.Discard, nil, max+2, "again")
		for i, m := range msgs {
			got, err := r.Read(context.Background())
			if err != nil || !bytes.Equal(got, m) {
				t.Fatalf("message %d %q read back as %q (%v)", i, m, got, err)
			}
		}
	})
}
