package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/f60e9205/reinmax/data"
)

// magic is the first six bytes of every .npy file.
const magic = "\x93NUMPY"

// MaxHeaderBytes is the largest header (the dict literal and its padding) that the reader
// accepts; NumPy itself refuses more than 10000 bytes by default.
const MaxHeaderBytes = 1 << 16

// MaxDataBytes is the largest data section that Read accepts (256 MiB). Archive.Open, which
// streams, is not limited by it.
const MaxDataBytes = 1 << 28

// maxElements bounds the product of the shape in any header, so that the byte size of the
// data fits an int64 whatever the element size.
const maxElements = 1 << 56

// Header is the parsed header of a .npy array.
type Header struct {
	DType        DType
	FortranOrder bool
	Shape        []int

	// DataOffset is the number of bytes before the data: magic, version, length and dict.
	DataOffset int64
}

// Len returns the number of elements, the product of h.Shape (1 for a 0-d array).
func (h *Header) Len() int {
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	return n
}

// DataBytes returns the size of the data in bytes, h.Len() times the element size.
func (h *Header) DataBytes() int64 {
	return int64(h.Len()) * int64(h.DType.Size())
}

// FormatError reports data that does not follow the .npy or .npz format, or that this reader
// does not support.
type FormatError struct {
	File  string // the name of the input, with ":entry" appended for an .npz member
	Field string // the part at fault: "magic", "version", "header length", "descr", "shape", "data", ...
	Want  string // what the reader requires there
	Got   string // what the input holds
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("npy: %s: %s: expected %s, got %s", e.File, e.Field, e.Want, e.Got)
}

// ReadHeader reads the magic, version and header of a .npy stream and leaves r at the first
// data byte. name identifies the input in errors. Only C-order arrays of a supported DType are
// accepted.
func ReadHeader(r io.Reader, name string) (*Header, error) {
	var pre [10]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		if data.IsEOF(err) {
			return nil, &FormatError{name, "magic", "8 bytes of magic and version", fmt.Sprintf("%d bytes", n)}
		}
		return nil, fmt.Errorf("npy: %s: magic: %w", name, err)
	}
	if string(pre[:6]) != magic {
		return nil, &FormatError{name, "magic", `"\x93NUMPY"`, fmt.Sprintf("%q", pre[:6])}
	}
	major, minor := pre[6], pre[7]
	var hlen int64
	switch {
	case major == 1 && minor == 0:
		if n, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, lengthError(name, err, 2, n)
		}
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if n, err := io.ReadFull(r, b[:]); err != nil {
			return nil, lengthError(name, err, 4, n)
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, &FormatError{name, "version", "1.0, 2.0 or 3.0", fmt.Sprintf("%d.%d", major, minor)}
	}
	if hlen > MaxHeaderBytes {
		return nil, &FormatError{name, "header length", fmt.Sprintf("at most %d bytes", MaxHeaderBytes), fmt.Sprintf("%d bytes", hlen)}
	}
	buf := make([]byte, hlen)
	if n, err := io.ReadFull(r, buf); err != nil {
		if data.IsEOF(err) {
			return nil, &FormatError{name, "header", fmt.Sprintf("%d bytes", hlen), fmt.Sprintf("%d bytes (truncated file)", n)}
		}
		return nil, fmt.Errorf("npy: %s: header: %w", name, err)
	}
	h, err := parseHeader(string(buf), name)
	if err != nil {
		return nil, err
	}
	h.DataOffset = 8 + hlen + 2
	if major > 1 {
		h.DataOffset += 2
	}
	return h, nil
}

func lengthError(name string, err error, want, got int) error {
	if data.IsEOF(err) {
		return &FormatError{name, "header length", fmt.Sprintf("%d bytes", want), fmt.Sprintf("%d bytes", got)}
	}
	return fmt.Errorf("npy: %s: header length: %w", name, err)
}

// parseHeader parses the dict literal of a header: exactly the keys 'descr', 'fortran_order'
// and 'shape', followed by nothing but spaces and newlines.
func parseHeader(s, name string) (*Header, error) {
	p := &parser{s: s}
	fields, err := p.dict()
	if err != nil {
		return nil, &FormatError{name, "header", "a dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...)}",
			fmt.Sprintf("%s in %q", err, clip(s))}
	}
	if rest := strings.Trim(s[p.i:], " \t\r\n"); rest != "" {
		return nil, &FormatError{name, "header", "only padding after the dict", fmt.Sprintf("%q", clip(rest))}
	}
	var h Header
	for _, key := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := fields[key]; !ok {
			return nil, &FormatError{name, "header", fmt.Sprintf("the key '%s'", key), fmt.Sprintf("%q", clip(s))}
		}
	}
	if len(fields) != 3 {
		return nil, &FormatError{name, "header", "exactly the keys 'descr', 'fortran_order', 'shape'", fmt.Sprintf("%d keys", len(fields))}
	}

	descr, ok := fields["descr"].(string)
	if !ok {
		return nil, &FormatError{name, "descr", "a type string such as '<f4' (structured types are not supported)", describe(fields["descr"])}
	}
	if h.DType, ok = parseDescr(descr); !ok {
		var want []string
		for d := Bool; int(d) < len(descrs); d++ {
			want = append(want, descrs[d])
		}
		got := fmt.Sprintf("'%s'", descr)
		if len(descr) > 0 && descr[0] == '>' {
			got += " (big-endian data is not supported)"
		}
		return nil, &FormatError{name, "descr", "one of " + strings.Join(want, " "), got}
	}

	fortran, ok := fields["fortran_order"].(bool)
	if !ok {
		return nil, &FormatError{name, "fortran_order", "True or False", describe(fields["fortran_order"])}
	}
	if fortran {
		return nil, &FormatError{name, "fortran_order", "False (only C-order arrays are supported; save with np.ascontiguousarray)", "True"}
	}

	shape, ok := fields["shape"].([]int64)
	if !ok {
		return nil, &FormatError{name, "shape", "a tuple of integers", describe(fields["shape"])}
	}
	n := int64(1)
	h.Shape = make([]int, len(shape))
	for i, d := range shape {
		if d < 0 {
			return nil, &FormatError{name, "shape", "non-negative sizes", fmt.Sprint(shape)}
		}
		if d > 0 && n > maxElements/d {
			return nil, &FormatError{name, "shape", "at most 2^56 elements", fmt.Sprint(shape)}
		}
		n *= d
		h.Shape[i] = int(d)
	}
	return &h, nil
}

// clip shortens s for error messages.
func clip(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string '%s'", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case []int64:
		return fmt.Sprintf("the tuple %v", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case nil:
		return "None"
	}
	return "an unsupported value"
}

// parser reads the small subset of Python literals that .npy headers use: a dict of string keys
// whose values are strings, True, False, None, integers or tuples of integers.
type parser struct {
	s string
	i int
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat skips spaces and consumes c if it comes next.
func (p *parser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: "+format, append([]any{p.i}, args...)...)
}

func (p *parser) dict() (map[string]any, error) {
	if !p.eat('{') {
		return nil, p.errorf("no '{'")
	}
	out := make(map[string]any)
	for {
		if p.eat('}') {
			return out, nil
		}
		p.space()
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := out[key]; dup {
			return nil, p.errorf("key '%s' repeated", key)
		}
		if !p.eat(':') {
			return nil, p.errorf("no ':' after key '%s'", key)
		}
		if out[key], err = p.value(); err != nil {
			return nil, err
		}
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return out, nil
		}
		return nil, p.errorf("no ',' or '}'")
	}
}

func (p *parser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf("no string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", p.errorf("escape in string")
	}
	p.i += end + 2
	return v, nil
}

func (p *parser) value() (any, error) {
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("no value")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		return p.str()
	case c == '(':
		p.i++
		var t []int64
		for {
			if p.eat(')') {
				return t, nil
			}
			p.space()
			n, err := p.integer()
			if err != nil {
				return nil, err
			}
			t = append(t, n)
			if p.eat(',') {
				continue
			}
			if p.eat(')') {
				return t, nil
			}
			return nil, p.errorf("no ',' or ')' in tuple")
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.integer()
	case c == '[':
		return nil, p.errorf("list value (structured types are not supported)")
	}
	for _, w := range []struct {
		word string
		v    any
	}{{"True", true}, {"False", false}, {"None", nil}} {
		if strings.HasPrefix(p.s[p.i:], w.word) {
			p.i += len(w.word)
			return w.v, nil
		}
	}
	return nil, p.errorf("unknown value")
}

// integer reads a decimal integer, with the 'L' suffix that Python 2 wrote for longs.
func (p *parser) integer() (int64, error) {
	start := p.i
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	if err != nil {
		p.i = start
		return 0, p.errorf("bad integer")
	}
	if p.i < len(p.s) && p.s[p.i] == 'L' {
		p.i++
	}
	return n, nil
}
