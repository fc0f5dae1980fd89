package results

import (
	"github.com/f60e9205/reinmax/internal/atomicfile"

	"encoding/csv"
	"fmt"
	"io"
)

// WriteCSV writes a table with a header line to path atomically (see atomicfile.Write). Every row must have as many
// fields as the header.
func WriteCSV(path string, header []string, rows [][]string) error {
	for i, r := range rows {
		if len(r) != len(header) {
			return fmt.Errorf("results: %s: row %d has %d fields, want %d (the header's)", path, i+1, len(r), len(header))
		}
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		if err := cw.WriteAll(rows); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
}
