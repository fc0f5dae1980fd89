package listops

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
)

// readBaselines reads a baselines file; a missing file holds none.
func readBaselines(path string) ([]Baselines, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listops: %w", err)
	}
	var out []Baselines
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("listops: %s: %w", path, err)
	}
	return out, nil
}

// writeBaselines writes bs to the baselines file at path, ordered by training-set size.
func writeBaselines(path string, bs []Baselines) error {
	slices.SortFunc(bs, func(a, b Baselines) int { return a.TrainSize - b.TrainSize })
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(bs)
	})
}

// hasBaselines reports whether bs holds the baselines fitted on trainSize expressions.
func hasBaselines(bs []Baselines, trainSize int) bool {
	return slices.ContainsFunc(bs, func(b Baselines) bool { return b.TrainSize == trainSize })
}
