package data

import (
	"errors"
	"io"
)

// ReadAtMost reads up to n bytes from r, growing its buffer only as data arrives, so that a header promising n
// bytes of a short input costs about the bytes actually present. A short read is not an error: the caller compares
// the length of the result with n.
func ReadAtMost(r io.Reader, n int) ([]byte, error) {
	const first = 1 << 20
	buf := make([]byte, 0, min(n, first))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			next := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(next, buf)
			buf = next
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if IsEOF(err) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// IsEOF reports whether err says the input ended: io.EOF or io.ErrUnexpectedEOF, possibly wrapped.
func IsEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
