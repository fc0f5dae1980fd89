package listops

import (
	"cmp"
	"fmt"
	"math"

	"github.com/f60e9205/reinmax"
)

// Config is one training run: every setting that changes its numbers (its JSON is the run's identity, see
// experiments.ID). DefaultConfig and PaperConfig fill it.
type Config struct {
	Estimator string  `json:"estimator"` // a straight-through estimator of the registry
	Tau       float64 `json:"tau"`       // temperature, > 0 (PaperTau's value for the estimator by default)
	K         int     `json:"k"`         // GR-MCK's Gumbel samples; 0 for the other estimators
	Hidden    int     `json:"hidden"`    // H: word embedding, leaf LSTM and tree-LSTM size, >= 1 (paper: 300)
	Dropout   float64 `json:"dropout"`   // dropout rate on the embeddings and in the classifier, in [0, 1) (paper: 0.5)
	Optimizer string  `json:"optimizer"` // "adam" or "radam" (paper: radam)
	LR        float64 `json:"lr"`        // initial learning rate, > 0 (paper: 7e-4)
	ClipNorm  float64 `json:"clip_norm"` // the gradient's global norm is clipped to ClipNorm, as the reference does; 0: no clipping (paper: 5)
	// Plateau halves the learning rate when the validation accuracy has not improved for Patience epochs
	// (ReduceLROnPlateau, mode max, factor 0.5); 0 disables it. The reference validates twice per epoch with
	// patience 4, which is 2 epochs here, where we validate once per epoch.
	Patience  int   `json:"patience"`
	Batch     int   `json:"batch"`      // expressions per training step, >= 1 (paper: 16)
	Epochs    int   `json:"epochs"`     // passes over the training set, >= 1 (paper: 20)
	Seed      int64 `json:"seed"`       // seeds initialisation, sampling, dropout and shuffling
	TrainSize int   `json:"train_size"` // generated training expressions, >= 1
	// ValidSize is the number of generated validation expressions; 0 means DefaultValidSize.
	ValidSize int `json:"valid_size"`
	// DataSeed seeds the generator of the training and validation expressions.
	DataSeed uint64 `json:"data_seed"`
	TestSize int    `json:"test_size"` // official test expressions used: the first TestSize; 0: all of them
}

// Label implements experiments.Config, e.g. "h32 n10000 reinmax seed=0".
func (c Config) Label() string { return label(c.Hidden, c.TrainSize, c.Estimator, c.Seed) }

func label(hidden, trainSize int, estimator string, seed int64) string {
	return fmt.Sprintf("h%d n%d %s seed=%d", hidden, trainSize, estimator, seed)
}

// DefaultValidSize is the number of generated validation expressions (the reference's validation split has 1,000).
const DefaultValidSize = 1000

// validSize is the number of validation expressions of the run.
func (c Config) validSize() int { return cmp.Or(c.ValidSize, DefaultValidSize) }

// PaperTau is the temperature of each estimator in the paper's ListOps runs, where a published command gives one:
// ReinMax 1.1 (the ReinMax README command); GR-MCK and GST-1.0 0.1 (the ListOps examples of the GST repository,
// which the paper's baselines run). ST, STGS, GST-p and Gumbel-Softmax have no published ListOps temperature: they
// take 1.
var PaperTau = map[string]float64{
	"reinmax": 1.1, "gr-mck": 0.1, "gst-1.0": 0.1, "gst-p": 0.1, "st": 1, "stgs": 1, "gumbel-softmax": 1,
}

// PaperEstimators are the estimators of the paper's ListOps table, in its order.
var PaperEstimators = []string{"reinmax", "stgs", "gr-mck", "gst-1.0", "st"}

// PaperConfig returns the paper's settings for an estimator: hidden size 300, dropout 0.5, batch 16, 20 epochs,
// RAdam with learning rate 7e-4 halved on a validation plateau, gradient-norm clipping at 5, the estimator's PaperTau, and the reference
// amount of training data (TrainSize 90,000: the size of the published training split, which is not available;
// we generate as many expressions instead).
func PaperConfig(estimator string) (Config, error) {
	c := Config{
		Estimator: estimator, Tau: tauFor(estimator), Hidden: 300, Dropout: 0.5, Optimizer: "radam", LR: 7e-4, ClipNorm: 5,
		Patience: 2, Batch: 16, Epochs: 20, TrainSize: 90_000,
	}
	if c, err := c.resolved(); err != nil {
		return c, err
	} else {
		return c, c.Validate()
	}
}

// DefaultConfig returns the settings sized for a 2-core machine (minutes per run; docs/listops has the times): the
// paper's model with hidden size 32, no dropout, batch 64, 10,000 training expressions, 3 epochs, and Adam with
// learning rate 1e-2 instead of the paper's RAdam. Over a run of 471 updates RAdam's variance rectification
// r_t = √((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t)) averages 0.31 (0.99 over the paper's 112,000 updates): it
// trains a run this short at a third of its rate (docs/listops has the measurements).
func DefaultConfig(estimator string) (Config, error) {
	c := Config{
		Estimator: estimator, Tau: tauFor(estimator), Hidden: 32, Dropout: 0, Optimizer: "adam", LR: 1e-2, ClipNorm: 5,
		Patience: 2, Batch: 64, Epochs: 3, TrainSize: 10_000,
	}
	if c, err := c.resolved(); err != nil {
		return c, err
	} else {
		return c, c.Validate()
	}
}

func tauFor(estimator string) float64 {
	return PaperTau[estimator] // 0 (the estimator's default) when unknown
}

// resolved returns c with the estimator's parameters written out (reinmax.Resolve): its default temperature and
// K in place of zeros, and zero for a parameter the estimator does not read.
func (c Config) resolved() (Config, error) {
	p, err := reinmax.Resolve(c.Estimator, reinmax.Params{Tau: c.Tau, K: c.K})
	if err != nil {
		return c, fmt.Errorf("listops: %w", err)
	}
	c.Tau, c.K = p.Tau, p.K
	return c, nil
}

// Validate returns an error naming the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.Hidden < 1:
		return fmt.Errorf("listops: hidden size = %d, want >= 1", c.Hidden)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return fmt.Errorf("listops: dropout = %v, want 0 <= dropout < 1", c.Dropout)
	case c.Optimizer != "adam" && c.Optimizer != "radam":
		return fmt.Errorf("listops: optimizer %q, want adam or radam", c.Optimizer)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("listops: learning rate = %v, want a finite value > 0", c.LR)
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 0):
		return fmt.Errorf("listops: clip norm = %v, want a finite value >= 0 (0: no clipping)", c.ClipNorm)
	case c.Patience < 0:
		return fmt.Errorf("listops: patience = %d, want >= 0", c.Patience)
	case c.Batch < 1:
		return fmt.Errorf("listops: batch = %d, want >= 1", c.Batch)
	case c.Epochs < 1:
		return fmt.Errorf("listops: epochs = %d, want >= 1", c.Epochs)
	case c.TrainSize < 1:
		return fmt.Errorf("listops: train size = %d, want >= 1", c.TrainSize)
	case c.TestSize < 0:
		return fmt.Errorf("listops: test size = %d, want >= 0 (0: the whole official split)", c.TestSize)
	case c.ValidSize < 0:
		return fmt.Errorf("listops: validation size = %d, want >= 0 (0: %d)", c.ValidSize, DefaultValidSize)
	}
	_, err := reinmax.NewStraightThrough(c.Estimator, reinmax.Params{Tau: c.Tau, K: c.K})
	return err
}

// Name is the run's model size and data in a short form, e.g. "h64 n20000".
func (c Config) Name() string { return fmt.Sprintf("h%d n%d", c.Hidden, c.TrainSize) }
