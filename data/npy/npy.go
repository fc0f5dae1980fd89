package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/f60e9205/reinmax/data"
)

// Array is a .npy array: its header and its raw elements, little-endian, in C order.
type Array struct {
	Header

	// Data holds len(Data) == Header.DataBytes() bytes as stored in the file.
	Data []byte
}

// ReadFile reads the .npy file at path; errors name the path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// Read reads one .npy array from r, to its end: trailing bytes after the data are an error.
// name identifies the input in errors. The data may take at most MaxDataBytes.
func Read(r io.Reader, name string) (*Array, error) {
	h, err := ReadHeader(r, name)
	if err != nil {
		return nil, err
	}
	return readData(r, h, name)
}

func readData(r io.Reader, h *Header, name string) (*Array, error) {
	nbytes := h.DataBytes()
	if nbytes > MaxDataBytes {
		return nil, &FormatError{name, "shape", fmt.Sprintf("at most %d data bytes", MaxDataBytes),
			fmt.Sprintf("%v of %s, %d bytes", h.Shape, h.DType, nbytes)}
	}
	payload, err := data.ReadAtMost(r, int(nbytes))
	if err != nil {
		return nil, fmt.Errorf("npy: %s: data: %w", name, err)
	}
	if int64(len(payload)) < nbytes {
		return nil, &FormatError{name, "data", fmt.Sprintf("%d bytes for shape %v of %s", nbytes, h.Shape, h.DType),
			fmt.Sprintf("%d bytes (truncated file)", len(payload))}
	}
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return nil, &FormatError{name, "end of file", "the end after the data", "more bytes"}
	}
	if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("npy: %s: end of data: %w", name, err)
	}
	return &Array{Header: *h, Data: payload}, nil
}

// Bools returns the elements of a Bool array; a stored byte is true when it is not zero.
func (a *Array) Bools() ([]bool, error) {
	if err := a.check(a.DType == Bool, "bool"); err != nil {
		return nil, err
	}
	out := make([]bool, len(a.Data))
	for i, b := range a.Data {
		out[i] = b != 0
	}
	return out, nil
}

// Uint8s returns a copy of the bytes of a Uint8 or Bool array (bools as stored, not mapped to 0/1).
func (a *Array) Uint8s() ([]uint8, error) {
	if err := a.check(a.DType == Uint8 || a.DType == Bool, "uint8"); err != nil {
		return nil, err
	}
	return append([]uint8(nil), a.Data...), nil
}

// Int64s returns the elements of an integer or Bool array (bools as 0 or 1) as int64. It
// returns an error for floating-point arrays and for Uint64 values above math.MaxInt64.
func (a *Array) Int64s() ([]int64, error) {
	if err := a.check(a.DType.isInteger() || a.DType == Bool, "int64"); err != nil {
		return nil, err
	}
	out := make([]int64, a.Len())
	for i := range out {
		switch a.DType {
		case Int64:
			out[i] = int64(binary.LittleEndian.Uint64(a.Data[8*i:]))
		case Uint64:
			u := binary.LittleEndian.Uint64(a.Data[8*i:])
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("npy: element %d = %d of a <u8 array overflows int64", i, u)
			}
			out[i] = int64(u)
		default:
			out[i] = int64(a.at(i)) // exact: the other types have at most 32 bits
		}
	}
	return out, nil
}

// Float64s returns the elements converted to float64 (integers beyond 2^53 are rounded).
func (a *Array) Float64s() ([]float64, error) {
	if err := a.check(true, "float64"); err != nil {
		return nil, err
	}
	out := make([]float64, a.Len())
	for i := range out {
		out[i] = a.at(i)
	}
	return out, nil
}

// Float32s returns the elements converted to float32 (rounded to nearest when not exact).
func (a *Array) Float32s() ([]float32, error) {
	if err := a.check(true, "float32"); err != nil {
		return nil, err
	}
	out := make([]float32, a.Len())
	for i := range out {
		if a.DType == Float32 {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(a.Data[4*i:]))
			continue
		}
		out[i] = float32(a.at(i))
	}
	return out, nil
}

// check returns an error if the conversion is not allowed or the data does not match the header.
func (a *Array) check(ok bool, to string) error {
	if !ok {
		return fmt.Errorf("npy: an array of %s cannot be read as %s", a.DType, to)
	}
	if a.DType.Size() == 0 || int64(len(a.Data)) != a.DataBytes() {
		return fmt.Errorf("npy: array has %d data bytes, expected %d for shape %v of %s", len(a.Data), a.DataBytes(), a.Shape, a.DType)
	}
	return nil
}

// at returns element i converted to float64 (Uint64 and Int64 exactly only below 2^53).
func (a *Array) at(i int) float64 {
	d := a.Data
	switch a.DType {
	case Bool:
		if d[i] != 0 {
			return 1
		}
		return 0
	case Int8:
		return float64(int8(d[i]))
	case Uint8:
		return float64(d[i])
	case Int16:
		return float64(int16(binary.LittleEndian.Uint16(d[2*i:])))
	case Uint16:
		return float64(binary.LittleEndian.Uint16(d[2*i:]))
	case Int32:
		return float64(int32(binary.LittleEndian.Uint32(d[4*i:])))
	case Uint32:
		return float64(binary.LittleEndian.Uint32(d[4*i:]))
	case Int64:
		return float64(int64(binary.LittleEndian.Uint64(d[8*i:])))
	case Uint64:
		return float64(binary.LittleEndian.Uint64(d[8*i:]))
	case Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:])))
	case Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:]))
	}
	panic("npy: unknown dtype")
}
