package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/f60e9205/reinmax/data"
)

// Type is the element type of an IDX array: the third byte of the magic number.
type Type byte

// The element types of the IDX format.
const (
	Uint8   Type = 0x08
	Int8    Type = 0x09
	Int16   Type = 0x0B
	Int32   Type = 0x0C
	Float32 Type = 0x0D
	Float64 Type = 0x0E
)

// Size returns the number of bytes of one element of type t, or 0 if t is not an IDX type.
func (t Type) Size() int {
	switch t {
	case Uint8, Int8:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// String returns the Go name of the type, or its code in hexadecimal if t is not an IDX type.
func (t Type) String() string {
	switch t {
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("0x%02x", byte(t))
}

// MaxDataBytes is the largest data section that Decode accepts (256 MiB); the MNIST training
// images take 47 MB.
const MaxDataBytes = 1 << 28

// Array is an IDX array: its element type, its sizes and its elements in row-major order.
type Array struct {
	Type Type
	Dims []int

	// Data holds the elements as stored in the file: big-endian, len(Data) == Len()*Type.Size().
	Data []byte
}

// Len returns the number of elements, the product of a.Dims.
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Dims {
		n *= d
	}
	return n
}

// Float64s returns the elements converted to float64; every IDX type converts exactly.
// It panics if len(a.Data) does not match a.Type and a.Dims.
func (a *Array) Float64s() []float64 {
	size := a.Type.Size()
	if size == 0 || len(a.Data) != a.Len()*size {
		panic("idx: Float64s of an inconsistent Array")
	}
	out := make([]float64, a.Len())
	d := a.Data
	for i := range out {
		b := d[i*size : (i+1)*size]
		switch a.Type {
		case Uint8:
			out[i] = float64(b[0])
		case Int8:
			out[i] = float64(int8(b[0]))
		case Int16:
			out[i] = float64(int16(binary.BigEndian.Uint16(b)))
		case Int32:
			out[i] = float64(int32(binary.BigEndian.Uint32(b)))
		case Float32:
			out[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
		case Float64:
			out[i] = math.Float64frombits(binary.BigEndian.Uint64(b))
		}
	}
	return out
}

// FormatError reports IDX data that does not follow the format.
type FormatError struct {
	File  string // the name the caller gave for the input
	Field string // the part of the file at fault: "magic", "dims", "data", "end of file"
	Want  string // what the format requires there
	Got   string // what the input holds
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("idx: %s: %s: expected %s, got %s", e.File, e.Field, e.Want, e.Got)
}

// ReadFile decodes the IDX file at path, gzip-compressed or not; errors name the path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode reads one IDX array from r, which may be gzip-compressed. name identifies the input in
// errors (usually the file path). Decode reads r to its end: trailing bytes after the data are an
// error, and so is a gzip stream whose checksum or length does not match.
func Decode(r io.Reader, name string) (*Array, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: %s: gzip header: %w", name, err)
		}
		defer zr.Close()
		src = zr
	}

	var magic [4]byte
	if n, err := io.ReadFull(src, magic[:]); err != nil {
		if n < len(magic) && data.IsEOF(err) {
			return nil, &FormatError{name, "magic", "4 bytes", fmt.Sprintf("%d bytes", n)}
		}
		return nil, fmt.Errorf("idx: %s: magic: %w", name, err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, &FormatError{name, "magic", "0x00 0x00 in the first two bytes",
			fmt.Sprintf("0x%02x 0x%02x", magic[0], magic[1])}
	}
	typ := Type(magic[2])
	size := typ.Size()
	if size == 0 {
		return nil, &FormatError{name, "magic (type byte)", "one of 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e", typ.String()}
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return nil, &FormatError{name, "magic (number of dimensions)", "at least 1", "0"}
	}

	raw := make([]byte, 4*ndims)
	if n, err := io.ReadFull(src, raw); err != nil {
		if data.IsEOF(err) {
			return nil, &FormatError{name, "dims", fmt.Sprintf("%d bytes for %d sizes", len(raw), ndims),
				fmt.Sprintf("%d bytes", n)}
		}
		return nil, fmt.Errorf("idx: %s: dims: %w", name, err)
	}
	dims := make([]int, ndims)
	nbytes := uint64(size)
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		dims[i] = int(d)
		// nbytes <= MaxDataBytes < 2^29 and d < 2^32, so the product cannot overflow uint64.
		nbytes *= uint64(d)
		if nbytes > MaxDataBytes {
			return nil, &FormatError{name, "dims", fmt.Sprintf("at most %d data bytes", MaxDataBytes),
				fmt.Sprintf("sizes %v of %s, more than that", dimsPrefix(raw, i+1), typ)}
		}
	}

	payload, err := data.ReadAtMost(src, int(nbytes))
	if err != nil {
		return nil, fmt.Errorf("idx: %s: data: %w", name, err)
	}
	if len(payload) < int(nbytes) {
		return nil, &FormatError{name, "data", fmt.Sprintf("%d bytes for sizes %v of %s", nbytes, dims, typ),
			fmt.Sprintf("%d bytes (truncated file)", len(payload))}
	}
	var one [1]byte
	n, err := io.ReadFull(src, one[:])
	if n > 0 {
		return nil, &FormatError{name, "end of file", "the end after the data", "more bytes"}
	}
	if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("idx: %s: end of data: %w", name, err)
	}
	return &Array{Type: typ, Dims: dims, Data: payload}, nil
}

// Encode writes a as an uncompressed IDX file. It returns an error if a is not a valid IDX
// array (unknown type, no or more than 255 dimensions, a size above 2^32-1, or len(a.Data)
// not matching the sizes).
func Encode(w io.Writer, a *Array) error {
	size := a.Type.Size()
	if size == 0 {
		return fmt.Errorf("idx: encode: type %s is not an IDX type", a.Type)
	}
	if len(a.Dims) == 0 || len(a.Dims) > 255 {
		return fmt.Errorf("idx: encode: %d dimensions, expected 1 to 255", len(a.Dims))
	}
	head := []byte{0, 0, byte(a.Type), byte(len(a.Dims))}
	n := uint64(size)
	for _, d := range a.Dims {
		if d < 0 || uint64(d) > math.MaxUint32 {
			return fmt.Errorf("idx: encode: size %d out of range [0, 2^32-1]", d)
		}
		head = binary.BigEndian.AppendUint32(head, uint32(d))
		if n *= uint64(d); n > MaxDataBytes {
			return fmt.Errorf("idx: encode: sizes %v exceed %d data bytes", a.Dims, MaxDataBytes)
		}
	}
	if uint64(len(a.Data)) != n {
		return fmt.Errorf("idx: encode: %d data bytes, expected %d for sizes %v of %s", len(a.Data), n, a.Dims, a.Type)
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("idx: encode: %w", err)
	}
	if _, err := w.Write(a.Data); err != nil {
		return fmt.Errorf("idx: encode: %w", err)
	}
	return nil
}

// dimsPrefix decodes the first k big-endian sizes of raw, for error messages.
func dimsPrefix(raw []byte, k int) []uint32 {
	out := make([]uint32, k)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(raw[4*i:])
	}
	return out
}
