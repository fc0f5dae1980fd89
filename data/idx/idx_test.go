package idx

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tinyUint8 is a valid uncompressed 2x3 uint8 IDX file, written out by hand from the format.
var tinyUint8 = []byte{
	0x00, 0x00, 0x08, 0x02, // magic: uint8, 2 dims
	0x00, 0x00, 0x00, 0x02, // 2 rows
	0x00, 0x00, 0x00, 0x03, // 3 columns
	0, 1, 2, 253, 254, 255,
}

// tinyFloat32 is a valid 1-d float32 IDX file holding 1.5 and -2 (IEEE 754 0x3fc00000, 0xc0000000).
var tinyFloat32 = []byte{
	0x00, 0x00, 0x0d, 0x01,
	0x00, 0x00, 0x00, 0x02,
	0x3f, 0xc0, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00,
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeValid(t *testing.T) {
	t.Parallel()
	int16s := []byte{0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00} // -2, 256
	int32s := []byte{0, 0, 0x0c, 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff} // -1
	int8s := []byte{0, 0, 0x09, 1, 0, 0, 0, 2, 0x80, 0x7f}              // -128, 127
	float64s := []byte{0, 0, 0x0e, 1, 0, 0, 0, 1, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}
	empty := []byte{0, 0, 0x08, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff} // 0 x 2^32-1: no elements
	for _, tc := range []struct {
		name string
		in   []byte
		typ  Type
		dims []int
		want []float64
	}{
		{"uint8", tinyUint8, Uint8, []int{2, 3}, []float64{0, 1, 2, 253, 254, 255}},
		{"uint8 gzip", gz(t, tinyUint8), Uint8, []int{2, 3}, []float64{0, 1, 2, 253, 254, 255}},
		{"float32", tinyFloat32, Float32, []int{2}, []float64{1.5, -2}},
		{"int8", int8s, Int8, []int{2}, []float64{-128, 127}},
		{"int16", int16s, Int16, []int{2}, []float64{-2, 256}},
		{"int32", int32s, Int32, []int{1}, []float64{-1}},
		{"float64", float64s, Float64, []int{1}, []float64{math.Pi}}, // 0x400921fb54442d18 is math.Pi
		{"empty", empty, Uint8, []int{0, math.MaxUint32}, []float64{}},
	} {
		a, err := Decode(bytes.NewReader(tc.in), tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if a.Type != tc.typ || !slices.Equal(a.Dims, tc.dims) {
			t.Errorf("%s: got %s %v, want %s %v", tc.name, a.Type, a.Dims, tc.typ, tc.dims)
		}
		got := a.Float64s()
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d elements, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: element %d = %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	good := gz(t, tinyUint8)
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 is the first of the last two little-endian words
	for _, tc := range []struct {
		name string
		in   []byte
		want string // a substring the error must contain besides the file name
	}{
		{"empty", nil, "magic: expected 4 bytes, got 0 bytes"},
		{"short magic", []byte{0, 0, 8}, "magic: expected 4 bytes, got 3 bytes"},
		{"bad magic", []byte{1, 2, 8, 1, 0, 0, 0, 0}, "magic: expected 0x00 0x00"},
		{"bad type", []byte{0, 0, 7, 1, 0, 0, 0, 0}, "got 0x07"},
		{"no dims", []byte{0, 0, 8, 0}, "number of dimensions): expected at least 1, got 0"},
		{"short dims", []byte{0, 0, 8, 2, 0, 0, 0, 1, 0}, "dims: expected 8 bytes for 2 sizes, got 5 bytes"},
		{"huge dims", []byte{0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "at most 268435456 data bytes"},
		{"overflow dims", append([]byte{0, 0, 0x0e, 4}, bytes.Repeat([]byte{0xff}, 16)...), "at most 268435456 data bytes"},
		{"truncated", tinyUint8[:len(tinyUint8)-2], "data: expected 6 bytes for sizes [2 3] of uint8, got 4 bytes (truncated file)"},
		{"trailing", append(append([]byte(nil), tinyUint8...), 9), "end of file"},
		{"truncated gzip", good[:len(good)-10], "truncated"},
		{"gzip checksum", badCRC, "checksum"},
		{"gzip garbage", []byte{0x1f, 0x8b, 0, 0}, "gzip header"},
	} {
		name := "testdata/" + strings.ReplaceAll(tc.name, " ", "-") + ".idx"
		a, err := Decode(bytes.NewReader(tc.in), name)
		if err == nil {
			t.Errorf("%s: no error, decoded %v", tc.name, a.Dims)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, name) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want the name %q and %q", tc.name, msg, name, tc.want)
		}
	}
}

func TestFormatErrorType(t *testing.T) {
	t.Parallel()
	_, err := Decode(bytes.NewReader(tinyUint8[:10]), "x")
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Field != "dims" || fe.File != "x" {
		t.Errorf("got %#v, want a *FormatError on field dims of file x", err)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny-idx1-ubyte.gz")
	if err := os.WriteFile(path, gz(t, tinyUint8), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Data, tinyUint8[12:]) {
		t.Errorf("data %v, want %v", a.Data, tinyUint8[12:])
	}
	_, err = ReadFile(filepath.Join(dir, "missing"))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: error %v, want one naming the file", err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range [][]byte{tinyUint8, tinyFloat32} {
		a, err := Decode(bytes.NewReader(in), "in")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, a); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), in) {
			t.Errorf("Encode(Decode(x)) = %x, want %x", buf.Bytes(), in)
		}
	}
	for _, bad := range []*Array{
		{Type: 7, Dims: []int{1}, Data: []byte{0}},
		{Type: Uint8, Dims: nil},
		{Type: Uint8, Dims: []int{-1}},
		{Type: Int16, Dims: []int{2}, Data: []byte{0, 0}},
	} {
		if err := Encode(&bytes.Buffer{}, bad); err == nil {
			t.Errorf("Encode(%+v): no error", bad)
		}
	}
}

// FuzzDecode checks that Decode never panics, never returns data inconsistent with its header,
// and that an uncompressed input it accepts is re-encoded byte for byte.
func FuzzDecode(f *testing.F) {
	f.Add(tinyUint8)
	f.Add(gz(f, tinyUint8))
	f.Add(tinyFloat32)
	f.Add([]byte{0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00})
	f.Add(tinyUint8[:9])
	f.Add([]byte{0, 0, 0x0e, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Decode(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Errorf("error %q does not name the input", err)
			}
			return
		}
		if len(a.Data) > MaxDataBytes || len(a.Data) != a.Len()*a.Type.Size() {
			t.Fatalf("%d data bytes for %s %v", len(a.Data), a.Type, a.Dims)
		}
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, a); err != nil {
			t.Fatalf("Encode of a decoded array: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("round trip changed the bytes: %x -> %x", in, buf.Bytes())
		}
	})
}
