package npy

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyFile builds a .npy file by hand from the format specification: magic, version, header
// length, the header padded with spaces to a multiple of 64 bytes and ended by '\n', the data.
func npyFile(major byte, header string, data []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	pad := 64 - (pre+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	b := append([]byte(magic), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func le32(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func le64(v ...uint64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return b
}

// tinyNPY is what numpy.save writes for np.array([[1.5, -2, 0.25]], dtype='<f4').
var tinyNPY = npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", le32(1.5, -2, 0.25))

func TestReadValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    []byte
		dtype DType
		shape []int
		want  []float64
	}{
		{"f4 v1", tinyNPY, Float32, []int{1, 3}, []float64{1.5, -2, 0.25}},
		{"f4 v2", npyFile(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", le32(1, 2, 3)), Float32, []int{3}, []float64{1, 2, 3}},
		{"f4 v3", npyFile(3, `{"descr": "<f4", "fortran_order": False, "shape": (1,)}`, le32(7)), Float32, []int{1}, []float64{7}},
		{"f8", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", le64(math.Float64bits(math.Pi))), Float64, []int{1}, []float64{math.Pi}},
		{"i8", npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", le64(5, math.MaxUint64)), Int64, []int{2}, []float64{5, -1}},
		{"u1", npyFile(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1), }", []byte{0, 255}), Uint8, []int{2, 1}, []float64{0, 255}},
		{"i1", npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", []byte{0x80, 1}), Int8, []int{2}, []float64{-128, 1}},
		{"i2 u2", npyFile(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }", []byte{0xfe, 0xff}), Int16, []int{1}, []float64{-2}},
		{"u4", npyFile(1, "{'descr': '<u4', 'fortran_order': False, 'shape': (1,), }", []byte{0xff, 0xff, 0xff, 0xff}), Uint32, []int{1}, []float64{math.MaxUint32}},
		// Omniglot's images.npy stores its bools as 0 and 255, so any non-zero byte is true.
		{"b1", npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 255, 1}), Bool, []int{3}, []float64{0, 1, 1}},
		{"scalar", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", le32(2)), Float32, []int{}, []float64{2}},
		{"empty", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 5), }", nil), Float64, []int{0, 5}, []float64{}},
		{"python2 longs, key order, no spaces", npyFile(1, "{'shape':(2L,),'fortran_order':False,'descr':'<f4'}", le32(1, 2)), Float32, []int{2}, []float64{1, 2}},
	} {
		a, err := Read(bytes.NewReader(tc.in), tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if a.DType != tc.dtype || !slices.Equal(a.Shape, tc.shape) {
			t.Errorf("%s: got %s %v, want %s %v", tc.name, a.DType, a.Shape, tc.dtype, tc.shape)
		}
		if a.DataOffset+int64(len(a.Data)) != int64(len(tc.in)) {
			t.Errorf("%s: offset %d + %d data bytes != %d", tc.name, a.DataOffset, len(a.Data), len(tc.in))
		}
		got, err := a.Float64s()
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Float64s = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestConversions(t *testing.T) {
	t.Parallel()
	big := npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", le64(1<<62+1))
	a, err := Read(bytes.NewReader(big), "big")
	if err != nil {
		t.Fatal(err)
	}
	// 2^62+1 is not a float64, so an exact int64 path is needed.
	if v, err := a.Int64s(); err != nil || v[0] != 1<<62+1 {
		t.Errorf("Int64s = %v, %v; want [%d]", v, err, int64(1<<62+1))
	}
	if _, err := a.Bools(); err == nil {
		t.Error("Bools of <i8: no error")
	}
	u8 := npyFile(1, "{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", le64(math.MaxUint64))
	a, _ = Read(bytes.NewReader(u8), "u8")
	if _, err := a.Int64s(); err == nil {
		t.Error("Int64s of 2^64-1: no error")
	}
	b1 := npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 255, 1})
	a, _ = Read(bytes.NewReader(b1), "b1")
	if v, err := a.Bools(); err != nil || !slices.Equal(v, []bool{false, true, true}) {
		t.Errorf("Bools = %v, %v", v, err)
	}
	if v, err := a.Uint8s(); err != nil || !slices.Equal(v, []uint8{0, 255, 1}) {
		t.Errorf("Uint8s = %v, %v", v, err)
	}
	if v, err := a.Int64s(); err != nil || !slices.Equal(v, []int64{0, 1, 1}) {
		t.Errorf("Int64s of bools = %v, %v", v, err)
	}
	a, _ = Read(bytes.NewReader(tinyNPY), "f4")
	if v, err := a.Float32s(); err != nil || !slices.Equal(v, []float32{1.5, -2, 0.25}) {
		t.Errorf("Float32s = %v, %v", v, err)
	}
	if _, err := a.Int64s(); err == nil {
		t.Error("Int64s of <f4: no error")
	}
	a.Data = a.Data[:4]
	if _, err := a.Float32s(); err == nil {
		t.Error("Float32s of an inconsistent Array: no error")
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	hdr := func(descr, fortran, shape string) string {
		return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
	}
	long := append([]byte(magic), 1, 0, 0xff, 0xff)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "magic: expected 8 bytes of magic and version, got 0 bytes"},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x00\x00"), `magic: expected "\x93NUMPY"`},
		{"version", append([]byte(magic), 4, 0, 0, 0), "version: expected 1.0, 2.0 or 3.0, got 4.0"},
		{"short length", append([]byte(magic), 2, 0, 1), "header length: expected 4 bytes, got 1 bytes"},
		{"long header", append(append([]byte(magic), 2, 0), 0, 0, 0, 1), "header length: expected at most 65536 bytes, got 16777216 bytes"},
		{"truncated header", long, "header: expected 65535 bytes, got 0 bytes (truncated file)"},
		{"fortran", npyFile(1, hdr("'<f4'", "True", "(1,)"), le32(1)), "fortran_order: expected False"},
		{"big-endian", npyFile(1, hdr("'>f4'", "False", "(1,)"), le32(1)), "big-endian data is not supported"},
		{"unknown type", npyFile(1, hdr("'<c16'", "False", "(1,)"), nil), "descr: expected one of |b1"},
		{"structured", npyFile(1, hdr("[('a', '<f4')]", "False", "(1,)"), le32(1)), "structured types are not supported"},
		{"missing key", npyFile(1, "{'descr': '<f4', 'shape': (1,)}", le32(1)), "the key 'fortran_order'"},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", le32(1)), "exactly the keys"},
		{"repeated key", npyFile(1, "{'descr': '<f4', 'descr': '<f4'}", nil), "repeated"},
		{"not a dict", npyFile(1, "['descr']", nil), "no '{'"},
		{"after dict", npyFile(1, hdr("'<f4'", "False", "(1,)")+"x", le32(1)), "only padding after the dict"},
		{"unterminated", npyFile(1, "{'descr: 1}", nil), "unterminated string"},
		{"shape type", npyFile(1, hdr("'<f4'", "False", "'3'"), nil), "shape: expected a tuple of integers, got the string '3'"},
		{"negative shape", npyFile(1, hdr("'<f4'", "False", "(-1,)"), nil), "non-negative sizes"},
		{"overflow shape", npyFile(1, hdr("'<f8'", "False", "(4294967296, 4294967296, 4294967296)"), nil), "at most 2^56 elements"},
		{"huge shape", npyFile(1, hdr("'<f8'", "False", "(1000000, 1000000)"), nil), "shape: expected at most 268435456 data bytes"},
		{"bad integer", npyFile(1, hdr("'<f8'", "False", "(99999999999999999999,)"), nil), "bad integer"},
		{"truncated data", tinyNPY[:len(tinyNPY)-1], "data: expected 12 bytes for shape [1 3] of <f4, got 11 bytes (truncated file)"},
		{"trailing", append(append([]byte(nil), tinyNPY...), 0), "end of file"},
	} {
		name := "testdata/" + strings.ReplaceAll(tc.name, " ", "-") + ".npy"
		a, err := Read(bytes.NewReader(tc.in), name)
		if err == nil {
			t.Errorf("%s: no error, read %v", tc.name, a.Shape)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, name) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want the name %q and %q", tc.name, msg, name, tc.want)
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %T is not a *FormatError", tc.name, err)
		}
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := os.WriteFile(path, tinyNPY, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err != nil {
		t.Error(err)
	}
	if _, err := ReadFile(path + ".missing"); err == nil || !strings.Contains(err.Error(), "x.npy.missing") {
		t.Errorf("missing file: error %v, want one naming the file", err)
	}
}

type entry struct {
	name   string
	data   []byte
	method uint16
	size   int64 // if > 0, the uncompressed size recorded in the directory instead of len(data)
}

// npz builds a zip archive like numpy.savez (zip.Store) or numpy.savez_compressed (zip.Deflate).
func npz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestArchive(t *testing.T) {
	t.Parallel()
	labels := npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", le64(3, 4))
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		b := npz(t, entry{name: "x.npy", data: tinyNPY, method: method}, entry{name: "labels.npy", data: labels, method: method})
		a, err := NewArchive(bytes.NewReader(b), int64(len(b)), "t.npz")
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Names(); !slices.Equal(got, []string{"labels", "x"}) {
			t.Errorf("Names = %q", got)
		}
		x, err := a.Read("x")
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := x.Float32s(); !slices.Equal(v, []float32{1.5, -2, 0.25}) {
			t.Errorf("x = %v", v)
		}
		l, err := a.Read("labels")
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := l.Int64s(); !slices.Equal(v, []int64{3, 4}) {
			t.Errorf("labels = %v", v)
		}
		if _, err := a.Read("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "t.npz") {
			t.Errorf("missing array: error %v", err)
		}
		if err := a.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestArchiveErrors(t *testing.T) {
	t.Parallel()
	// The header says (1, 4) but only 3 floats follow: the entry is 4 bytes short of the shape.
	short := npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }", le32(1, 2, 3))
	stored := npz(t, entry{name: "x.npy", data: tinyNPY, method: zip.Store})
	corrupt := bytes.Clone(stored)
	i := bytes.Index(corrupt, le32(1.5, -2, 0.25))
	corrupt[i] ^= 1 // flips a data bit: the CRC-32 no longer matches
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"not zip", tinyNPY, "not a readable .npz (zip) archive"},
		{"size mismatch", npz(t, entry{name: "x.npy", data: short, method: zip.Deflate}), "t.npz:x.npy: shape: expected an entry of 144 bytes (128 of header, then shape [1 4] of <f4), got 140 bytes"},
		{"bad header", npz(t, entry{name: "x.npy", data: []byte("hello"), method: zip.Store}), "t.npz:x.npy: magic"},
		{"checksum", corrupt, "t.npz:x.npy: end of data: zip: checksum error"},
		{"duplicate", npz(t, entry{name: "x.npy", data: tinyNPY}, entry{name: "x", data: tinyNPY}), "distinct array names"},
	} {
		a, err := NewArchive(bytes.NewReader(tc.in), int64(len(tc.in)), "t.npz")
		if err == nil {
			_, err = a.Read("x")
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := OpenArchive(filepath.Join(t.TempDir(), "none.npz")); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing file: error %v, want one naming the file", err)
	}
}

// FuzzReadNPY checks that Read never panics and that an accepted input is exactly a header
// followed by the data its shape calls for.
func FuzzReadNPY(f *testing.F) {
	f.Add(tinyNPY)
	f.Add(npyFile(2, "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 2), }", []byte{0, 255, 255, 0}))
	f.Add(npyFile(3, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }", le64(7)))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }", le64(0)))
	f.Add(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", nil))
	f.Add(tinyNPY[:20])
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Read(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Errorf("error %q does not name the input", err)
			}
			return
		}
		if int64(len(a.Data)) != a.DataBytes() || len(a.Data) > MaxDataBytes || a.DataOffset+int64(len(a.Data)) != int64(len(in)) {
			t.Fatalf("%d data bytes at offset %d for %v of %s in %d input bytes", len(a.Data), a.DataOffset, a.Shape, a.DType, len(in))
		}
		if _, err := a.Float64s(); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzArchive checks that opening and reading an .npz archive never panics.
func FuzzArchive(f *testing.F) {
	f.Add(npz(f, entry{name: "x.npy", data: tinyNPY, method: zip.Deflate}))
	f.Add(npz(f, entry{name: "x.npy", data: tinyNPY, method: zip.Store}))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := NewArchive(bytes.NewReader(in), int64(len(in)), "fuzz")
		if err != nil {
			return
		}
		for _, k := range a.Names() {
			if x, err := a.Read(k); err == nil && int64(len(x.Data)) != x.DataBytes() {
				t.Fatalf("%d data bytes for %v of %s", len(x.Data), x.Shape, x.DType)
			}
		}
	})
}
