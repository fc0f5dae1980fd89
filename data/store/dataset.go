package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// File is one file of a data set.
type File struct {
	// Name is the file's base name, e.g. "train-images-idx3-ubyte.gz".
	Name string
	// SHA256 lists the accepted SHA-256 digests of the file's bytes, in lower-case hex: the published
	// file and any known repackaging of it.
	SHA256 []string
	// GunzipSHA256, when not empty, is the SHA-256 of the file's gunzipped content: a gzip file with
	// this content is accepted whatever its compression (another level, a header without a file name).
	GunzipSHA256 string
}

// Place is a folder that may hold the files of a data set.
type Place struct {
	Dir    string // the folder
	Origin string // what put the files there, for messages: OriginRoot, "Debian package dataset-fashion-mnist"
}

// Origins of a file that Found reports besides those of Dataset.Places.
const (
	OriginRoot     = "data root"
	OriginEmbedded = "embedded in the binary"
)

// Dataset describes the files of one data set and where they may be found.
type Dataset struct {
	// Name is the data set's name on the command line and its folder in the data root, e.g. "mnist".
	Name string
	// Title names the data set in messages, e.g. "MNIST".
	Title string
	// About says in one line what the data set is, who made it and under which licence.
	About string
	// Files are the data set's files.
	Files []File
	// Places returns the folders where packages install the files (looked at after the data root), in
	// order; nil for none.
	Places func() []Place
	// URLs are the base URLs Fetch downloads from (the file name is appended), tried in order; empty if
	// the data set cannot be fetched.
	URLs []string
	// Embedded, when not nil, returns the original bytes of the file called name: the data set ships
	// inside the binary and is never looked for on disk.
	Embedded func(name string) ([]byte, error)
}

// Found says where one file of a data set was found and whether it is good.
type Found struct {
	File   string // the file's base name
	Path   string // where it is; "" when it is missing or embedded
	Origin string // OriginRoot, OriginEmbedded or the Origin of a Place; "" when it is missing
	Size   int64  // its size in bytes (of the original bytes for an embedded file)
	Err    error  // why it cannot be used (missing, unreadable, failing its checksum); nil when verified
}

// Missing reports whether the file was found nowhere.
func (f Found) Missing() bool { return f.Origin == "" }

// Search returns where the files of d are looked for, in order: the folder d.Name in the data root
// (Root(root); left out when there is no data root), then d.Places().
func (d Dataset) Search(root string) []Place {
	var places []Place
	if r, err := Root(root); err == nil {
		places = append(places, Place{Dir: filepath.Join(r, d.Name), Origin: OriginRoot})
	}
	if d.Places != nil {
		places = append(places, d.Places()...)
	}
	return places
}

// Find looks for every file of d in places (in the binary when d is embedded) and verifies each one it
// finds.
func (d Dataset) Find(places []Place) []Found {
	out := make([]Found, len(d.Files))
	for i, f := range d.Files {
		if d.Embedded != nil {
			b, err := d.Embedded(f.Name)
			out[i] = Found{File: f.Name, Origin: OriginEmbedded, Size: int64(len(b)), Err: err}
			if err == nil {
				out[i].Err = f.check(bytes.NewReader(b))
			}
			continue
		}
		p, size, ok := locate(places, f.Name)
		if !ok {
			out[i] = Found{File: f.Name, Err: errors.New("missing")}
			continue
		}
		path := filepath.Join(p.Dir, f.Name)
		out[i] = Found{File: f.Name, Path: path, Origin: p.Origin, Size: size, Err: f.checkFile(path)}
	}
	return out
}

// Read returns the verified bytes of the named files of d, looked for in places as Find does, and where
// each came from. When files are missing, the error is a *MissingError that lists them all and says how
// to get them; a file that fails its checksum gives an error naming it, with the digests found and
// expected.
func (d Dataset) Read(places []Place, names ...string) ([][]byte, []Found, error) {
	files := make([]File, len(names))
	for i, n := range names {
		k := slices.IndexFunc(d.Files, func(f File) bool { return f.Name == n })
		if k < 0 {
			return nil, nil, fmt.Errorf("%s has no file %s", d.Title, n)
		}
		files[i] = d.Files[k]
	}
	found := make([]Found, len(files))
	out := make([][]byte, len(files))
	if d.Embedded != nil {
		for i, f := range files {
			b, err := d.Embedded(f.Name)
			if err == nil {
				err = f.check(bytes.NewReader(b))
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s file %s (%s): %v", d.Title, f.Name, OriginEmbedded, err)
			}
			out[i], found[i] = b, Found{File: f.Name, Origin: OriginEmbedded, Size: int64(len(b))}
		}
		return out, found, nil
	}
	var missing []string
	for i, f := range files {
		p, size, ok := locate(places, f.Name)
		if !ok {
			missing = append(missing, f.Name)
			continue
		}
		found[i] = Found{File: f.Name, Path: filepath.Join(p.Dir, f.Name), Origin: p.Origin, Size: size}
	}
	if len(missing) > 0 {
		return nil, nil, &MissingError{Dataset: d, Files: missing, Places: places}
	}
	for i, f := range files {
		b, err := os.ReadFile(found[i].Path)
		if err == nil {
			err = f.check(bytes.NewReader(b))
		}
		if err != nil {
			fix := "remove it and get a good copy with: "
			if found[i].Origin != OriginRoot {
				fix = "replace it with a good copy, or put one into the data root with: "
			}
			return nil, nil, fmt.Errorf("%s file %s (%s): %v; %s%s",
				d.Title, found[i].Path, found[i].Origin, err, fix, d.Command("fetch", rootOf(places), ""))
		}
		out[i] = b
	}
	return out, found, nil
}

// locate returns the first place that holds a regular file called name, and the file's size.
func locate(places []Place, name string) (Place, int64, bool) {
	for _, p := range places {
		if fi, err := os.Stat(filepath.Join(p.Dir, name)); err == nil && fi.Mode().IsRegular() {
			return p, fi.Size(), true
		}
	}
	return Place{}, 0, false
}

// rootOf returns the data root that places search, "" when they do not search one.
func rootOf(places []Place) string {
	if len(places) > 0 && places[0].Origin == OriginRoot {
		return filepath.Dir(places[0].Dir)
	}
	return ""
}

// MissingError says which files of a data set were found nowhere and how to get them.
type MissingError struct {
	Dataset Dataset
	Files   []string // the missing files' names
	Places  []Place  // where they were looked for
}

func (e *MissingError) Error() string {
	dirs := make([]string, len(e.Places))
	for i, p := range e.Places {
		dirs[i] = p.Dir + " (" + p.Origin + ")"
	}
	looked := "looked in " + strings.Join(dirs, ", ")
	if len(dirs) == 0 {
		looked = "no data root and no other place to look in"
	}
	root := rootOf(e.Places)
	return fmt.Sprintf("%s files missing: %s (%s); get them with: %s (or, offline, copy them from a folder DIR that holds them: %s)",
		e.Dataset.Title, strings.Join(e.Files, ", "), looked,
		e.Dataset.Command("fetch", root, ""), e.Dataset.Command("import", root, "DIR"))
}

// Command returns the command line `reinmax data VERB [--data ROOT] NAME [ARG]` that acts on d in the
// data root root, with --data only when root is not the data root the command finds by itself.
func (d Dataset) Command(verb, root, arg string) string {
	s := "reinmax data " + verb
	if def, err := Root(""); root != "" && (err != nil || def != root) {
		s += " --data " + shellQuote(root)
	}
	s += " " + d.Name
	if arg != "" {
		s += " " + arg
	}
	return s
}

// shellQuote quotes s for a POSIX shell when it holds characters the shell would interpret.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// checkFile verifies the file at path; see check.
func (f File) checkFile(path string) error {
	r, err := os.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	return f.check(r)
}

// check verifies the bytes of r against f: their SHA-256 must be one of f.SHA256, or, when
// f.GunzipSHA256 is set, they must gunzip to content with that SHA-256.
func (f File) check(r io.ReadSeeker) error {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if slices.Contains(f.SHA256, got) {
		return nil
	}
	want := strings.Join(f.SHA256, " or ")
	if f.GunzipSHA256 == "" {
		return fmt.Errorf("SHA-256 %s, expected %s", got, want)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	content, err := gunzipSum(r)
	if err != nil {
		return fmt.Errorf("SHA-256 %s, expected %s, and it does not decompress (%v)", got, want, err)
	}
	if content != f.GunzipSHA256 {
		return fmt.Errorf("SHA-256 %s, expected %s, and its content has SHA-256 %s, expected %s", got, want, content, f.GunzipSHA256)
	}
	return nil
}

// gunzipSum returns the SHA-256 of the gunzipped content of r.
func gunzipSum(r io.Reader) (string, error) {
	z, err := gzip.NewReader(r)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(h, z); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
