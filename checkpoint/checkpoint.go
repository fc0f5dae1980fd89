package checkpoint

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// format is the version written in every file; Load refuses other versions.
const format = 1

type file struct {
	Format int
	State  []byte // the caller's state, JSON
	Vars   []variable
}

type variable struct {
	Path      string
	DType     int32
	Dims      []int
	Trainable bool
	Data      []byte
}

// Save writes every variable of store that has a value, and state encoded as JSON, to path. The file is written to a
// temporary file in the same folder and renamed into place, so path holds either the previous checkpoint or the new
// one, never a partial file.
func Save(path string, store *model.Store, state any) error {
	st, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("checkpoint %s: encoding state: %w", path, err)
	}
	f := file{Format: format, State: st}
	for v := range store.IterVariables() {
		if !v.HasValue() {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.Path(), err)
		}
		var data []byte
		if err := t.ConstBytes(func(b []byte) { data = append([]byte(nil), b...) }); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, v.Path(), err)
		}
		f.Vars = append(f.Vars, variable{
			Path: v.Path(), DType: int32(t.DType()), Dims: t.Shape().Dimensions, Trainable: v.Trainable, Data: data,
		})
	}
	sort.Slice(f.Vars, func(i, j int) bool { return f.Vars[i].Path < f.Vars[j].Path })
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&f); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, buf.Bytes())
}

// Load restores a checkpoint written by Save: it creates or overwrites the variables of store and decodes the saved
// state into state (a pointer). It returns an error wrapping fs.ErrNotExist when there is no checkpoint at path.
func Load(path string, store *model.Store, state any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var f file
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&f); err != nil {
		return fmt.Errorf("checkpoint %s: corrupt file: %w", path, err)
	}
	if f.Format != format {
		return fmt.Errorf("checkpoint %s: format %d, this program reads format %d", path, f.Format, format)
	}
	for _, sv := range f.Vars {
		shape := shapes.Make(dtypes.DType(sv.DType), sv.Dims...)
		if !shape.Ok() || shape.ByteSize() != int64(len(sv.Data)) {
			return fmt.Errorf("checkpoint %s: variable %s: %d bytes for shape %s", path, sv.Path, len(sv.Data), shape)
		}
		t := tensors.FromShape(shape)
		if err := t.MutableBytes(func(dst []byte) { copy(dst, sv.Data) }); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, sv.Path, err)
		}
		v := store.GetVariable(sv.Path)
		if v == nil {
			if v, err = store.CreateVariable(sv.Path, t); err != nil {
				return fmt.Errorf("checkpoint %s: %w", path, err)
			}
		} else if !v.Shape().Equal(shape) {
			return fmt.Errorf("checkpoint %s: variable %s has shape %s, the model wants %s", path, sv.Path, shape, v.Shape())
		} else if err := v.SetValue(t); err != nil {
			return fmt.Errorf("checkpoint %s: variable %s: %w", path, sv.Path, err)
		}
		v.SetTrainable(sv.Trainable)
	}
	if err := json.Unmarshal(f.State, state); err != nil {
		return fmt.Errorf("checkpoint %s: decoding state: %w", path, err)
	}
	return nil
}

// Exists reports whether a checkpoint file is present at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// Resume restores the checkpoint at path into store and state as Load does, when there is one: a missing file is a
// run that starts afresh, not an error, and so is path "" (checkpoints off). It reports whether it restored one.
func Resume(path string, store *model.Store, state any) (bool, error) {
	if path == "" {
		return false, nil
	}
	err := Load(path, store, state)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
