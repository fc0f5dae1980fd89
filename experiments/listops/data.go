package listops

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

// Data holds the expressions a run trains, validates and tests on.
type Data struct {
	Train []listopsdata.Example // generated; a run uses the first Config.TrainSize
	Valid []listopsdata.Example // generated, disjoint from Train and Test
	Test  []listopsdata.Example // the official test split, sequences under listopsdata.MaxTokens tokens only
	// TestRows is the number of rows of the official split before the length filter.
	TestRows int
}

// DataSpec says which data LoadData builds.
type DataSpec struct {
	TrainSize int    // generated training expressions
	ValidSize int    // generated validation expressions
	Seed      uint64 // the generator's seed
}

// LoadData reads the official test split (checksummed) and keeps its sequences under listopsdata.MaxTokens tokens, as
// the reference does, then generates ValidSize+TrainSize unique expressions with the reference grammar, excluding
// every test expression: the first ValidSize are the validation set and the rest the training set. The validation
// set therefore does not depend on TrainSize, and the training set of a smaller TrainSize is a prefix of a larger
// one.
func LoadData(spec DataSpec) (Data, error) {
	if spec.TrainSize < 1 || spec.ValidSize < 1 {
		return Data{}, fmt.Errorf("listops: data: train size %d, validation size %d, want >= 1", spec.TrainSize, spec.ValidSize)
	}
	all, err := listopsdata.LoadTest("")
	if err != nil {
		return Data{}, err
	}
	test := listopsdata.ShorterThan(all, listopsdata.MaxTokens)
	gen := listopsdata.Generator{Exclude: listopsdata.Keys(all)}
	ex, err := gen.Generate(spec.ValidSize+spec.TrainSize, spec.Seed)
	if err != nil {
		return Data{}, err
	}
	return Data{Train: ex[spec.ValidSize:], Valid: ex[:spec.ValidSize:spec.ValidSize], Test: test, TestRows: len(all)}, nil
}

// bucketStep is the granularity of the padded widths: a batch of sequences of up to n tokens is padded to n rounded
// up to a multiple of bucketStep, so that padding stays small and the number of compiled graphs (one per width)
// stays at most ⌈(MaxTokens−1)/bucketStep⌉ = 13.
const bucketStep = 8

// maxWidth is the longest sequence of the reference's data (fewer than listopsdata.MaxTokens tokens).
const maxWidth = listopsdata.MaxTokens - 1

// width returns the padded width of a sequence of n tokens: n rounded up to a multiple of bucketStep, but never
// beyond maxWidth for a sequence that fits in it. It is at least 2 (the model needs one merge).
func width(n int) int {
	w := (n + bucketStep - 1) / bucketStep * bucketStep
	if n <= maxWidth && w > maxWidth {
		w = maxWidth
	}
	return max(w, 2)
}

// batch is a list of examples padded to one width.
type batch struct {
	width int
	idx   []int // indices into the example set, at most the batch size
}

// batches deals the examples, in the given order, into batches of size examples: sorted by padded width from the
// widest down (stably, so the order holds within a width), they are cut into consecutive batches, each padded to
// the width of its widest example. Every batch is then full but the last, the narrowest: the rows that would pad
// the partial batch of a width (computed at that width all the same) hold the next narrower examples instead. The
// batches are listed in a random order drawn from rng (nil: widest first).
func batches(ex []listopsdata.Example, order []int, size int, rng *rand.Rand) []batch {
	sorted := slices.Clone(order)
	slices.SortStableFunc(sorted, func(i, j int) int {
		return cmp.Compare(width(len(ex[j].Tokens)), width(len(ex[i].Tokens)))
	})
	var out []batch
	for lo := 0; lo < len(sorted); lo += size {
		idx := sorted[lo:min(lo+size, len(sorted)):min(lo+size, len(sorted))]
		out = append(out, batch{width: width(len(ex[idx[0]].Tokens)), idx: idx})
	}
	if rng != nil {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

// tensors returns the inputs of a step for batch b padded to size rows: token ids (size, width) int32, lengths
// (size) int32, labels (size) int32 and weights (size) float32, 1 for the examples of b and 0 for the rows that fill
// a partial batch (copies of its first example).
func (b batch) tensors(ex []listopsdata.Example, size int) []any {
	rows := make([]listopsdata.Example, size)
	weights := make([]float32, size)
	labels := make([]int32, size)
	for r := range size {
		i := b.idx[0]
		if r < len(b.idx) {
			i, weights[r] = b.idx[r], 1
		}
		rows[r] = ex[i]
		labels[r] = int32(ex[i].Label)
	}
	ids, lengths := listopsdata.PadIDs(rows, b.width)
	return []any{
		tensors.FromFlatDataAndDimensions(ids, size, b.width),
		tensors.FromFlatDataAndDimensions(lengths, size),
		tensors.FromFlatDataAndDimensions(labels, size),
		tensors.FromFlatDataAndDimensions(weights, size),
	}
}
