package npy

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Archive is an open .npz archive: a zip file whose entries "key.npy" each hold one array,
// stored or deflate-compressed (numpy.savez and numpy.savez_compressed).
type Archive struct {
	name   string
	files  map[string]*zip.File
	closer io.Closer
}

// OpenArchive opens the .npz file at path; errors name the path. Close it when done.
func OpenArchive(path string) (*Archive, error) {
	zr, err := zip.OpenReader(path)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("npy: %s: not a readable .npz (zip) archive: %w", path, err)
	}
	a, err := newArchive(&zr.Reader, path)
	if err != nil {
		zr.Close()
		return nil, err
	}
	a.closer = zr
	return a, nil
}

// NewArchive reads the .npz archive held by r, of size bytes; name identifies it in errors.
// Entry names are never used as file paths, so zip entries with unsafe names are harmless here.
func NewArchive(r io.ReaderAt, size int64, name string) (*Archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("npy: %s: not a readable .npz (zip) archive: %w", name, err)
	}
	return newArchive(zr, name)
}

func newArchive(zr *zip.Reader, name string) (*Archive, error) {
	a := &Archive{name: name, files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		key := strings.TrimSuffix(f.Name, ".npy")
		if _, dup := a.files[key]; dup {
			return nil, &FormatError{name, "entries", "distinct array names", fmt.Sprintf("%q twice", f.Name)}
		}
		a.files[key] = f
	}
	return a, nil
}

// Names returns the names of the arrays in the archive (entry names without ".npy"), sorted.
func (a *Archive) Names() []string {
	out := make([]string, 0, len(a.files))
	for k := range a.files {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Open parses the header of array key and returns a reader positioned at its data, which
// yields exactly h.DataBytes() bytes; reading it to io.EOF verifies the entry's CRC-32. Open
// checks that the header and the shape account for the entry's recorded uncompressed size.
// The caller must close the reader.
func (a *Archive) Open(key string) (*Header, io.ReadCloser, error) {
	f, ok := a.files[key]
	if !ok {
		return nil, nil, fmt.Errorf("npy: %s: no array %q (the archive holds %q)", a.name, key, a.Names())
	}
	name := a.name + ":" + f.Name
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %s: %w", name, err)
	}
	h, err := ReadHeader(rc, name)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	if want := uint64(h.DataOffset) + uint64(h.DataBytes()); f.UncompressedSize64 != want {
		rc.Close()
		return nil, nil, &FormatError{name, "shape",
			fmt.Sprintf("an entry of %d bytes (%d of header, then shape %v of %s)", want, h.DataOffset, h.Shape, h.DType),
			fmt.Sprintf("%d bytes", f.UncompressedSize64)}
	}
	return h, rc, nil
}

// Read reads array key whole; the data may take at most MaxDataBytes.
func (a *Archive) Read(key string) (*Array, error) {
	h, rc, err := a.Open(key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readData(rc, h, a.name+":"+a.files[key].Name)
}

// Close closes the file opened by OpenArchive; it does nothing for an archive from NewArchive.
func (a *Archive) Close() error {
	if a.closer == nil {
		return nil
	}
	return a.closer.Close()
}
