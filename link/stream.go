package link

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

type streamConn struct {
	counter
	r      *bufio.Reader
	w      io.Writer
	closer io.Closer
	max    int
	name   string
	wmu    sync.Mutex
	once   sync.Once
}

// Stream carries messages as lines over a byte stream. closer, if not
// nil, is closed by Close (and unblocks a pending Read). Lines over max
// bytes are skipped with ErrTooBig.
func Stream(r io.Reader, w io.Writer, closer io.Closer, max int, name string) Conn {
	return &streamConn{r: bufio.NewReaderSize(r, 64<<10), w: w, closer: closer, max: max, name: name}
}

func (c *streamConn) String() string { return c.name }

// Read ignores ctx once a read has started: a blocked read on a pipe can
// only be ended by Close.
func (c *streamConn) Read(ctx context.Context) ([]byte, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var line []byte
		tooBig := false
		for {
			chunk, err := c.r.ReadSlice('\n')
			c.in.Add(int64(len(chunk)))
			if !tooBig {
				if len(line)+len(chunk) > c.max+2 {
					tooBig, line = true, nil
				} else {
					line = append(line, chunk...)
				}
			}
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) && len(line) > 0 && !tooBig {
				break // last message without a newline
			}
			return nil, err
		}
		if tooBig {
			return nil, ErrTooBig
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue // blank lines keep links alive
		}
		return line, nil
	}
}

func (c *streamConn) Write(ctx context.Context, msg []byte) error {
	if bytes.IndexByte(msg, '\n') >= 0 {
		return errors.New("link: a message must not contain a raw newline")
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	buf := make([]byte, 0, len(msg)+1)
	buf = append(append(buf, msg...), '\n')
	n, err := c.w.Write(buf)
	c.out.Add(int64(n))
	return err
}

func (c *streamConn) Close(reason string) error {
	var err error
	c.once.Do(func() {
		if c.closer != nil {
			err = c.closer.Close()
		}
	})
	return err
}
