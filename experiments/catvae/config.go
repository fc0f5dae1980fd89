package catvae

import (
	"fmt"

	"math"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/f60e9205/reinmax"
)

// Config is one training run: every setting that changes its numbers (its JSON is the run's identity, see
// experiments.ID). PaperConfig fills it with the paper's settings.
type Config struct {
	Categories int     `json:"categories"`  // C, categories per latent variable, >= 2
	Latents    int     `json:"latents"`     // L, latent variables, >= 1
	Estimator  string  `json:"estimator"`   // a straight-through estimator of the registry
	Tau        float64 `json:"tau"`         // temperature, > 0 (>= 1 for reinmax)
	K          int     `json:"k"`           // the Gumbel samples of gr-mck, reinmax-rao and reinmax-cv; 0 for the others
	Alpha      float64 `json:"alpha"`       // the mixing weight of reinmax-alpha; 0 for the others
	TauForward float64 `json:"tau_forward"` // the forward temperature of the decoupled estimators; 0 for the others
	Optimizer  string  `json:"optimizer"`   // "adam" or "radam"
	LR         float64 `json:"lr"`          // learning rate, > 0
	Batch      int     `json:"batch"`       // images per step, >= 1 (paper: 100)
	Epochs     int     `json:"epochs"`      // passes over the training set, >= 1 (paper: 160)
	Seed       int64   `json:"seed"`        // seeds initialisation, sampling and shuffling
	LeakyReLU  bool    `json:"leaky_relu"`  // LeakyReLU (slope 0.01) instead of ReLU, as the paper's 32x64 script sets
	TrainSize  int     `json:"train_size"`  // use only the first TrainSize training images (0: all 60,000); 0 or >= Batch
	TestSize   int     `json:"test_size"`   // use only the first TestSize test images (0: all 10,000)
}

// Label implements experiments.Config, e.g. "10x30 reinmax seed=0".
func (c Config) Label() string { return label(c.Name(), c.Estimator, c.Seed) }

func label(config, estimator string, seed int64) string {
	return fmt.Sprintf("%s %s seed=%d", config, estimator, seed)
}

// Name is the configuration's name in the paper's C×L notation, e.g. "10x30".
func (c Config) Name() string { return fmt.Sprintf("%dx%d", c.Categories, c.Latents) }

// Validate returns an error naming the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.Categories < 2:
		return fmt.Errorf("catvae: categories = %d, want >= 2", c.Categories)
	case c.Latents < 1:
		return fmt.Errorf("catvae: latents = %d, want >= 1", c.Latents)
	case c.Optimizer != "adam" && c.Optimizer != "radam":
		return fmt.Errorf("catvae: optimizer %q, want adam or radam", c.Optimizer)
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		return fmt.Errorf("catvae: learning rate = %v, want a finite value > 0", c.LR)
	case c.Batch < 1:
		return fmt.Errorf("catvae: batch = %d, want >= 1", c.Batch)
	case c.Epochs < 1:
		return fmt.Errorf("catvae: epochs = %d, want >= 1", c.Epochs)
	case c.TrainSize < 0 || c.TestSize < 0:
		return fmt.Errorf("catvae: train size %d, test size %d, want >= 0", c.TrainSize, c.TestSize)
	case c.TrainSize > 0 && c.TrainSize < c.Batch:
		return fmt.Errorf("catvae: train size %d is less than one batch of %d images", c.TrainSize, c.Batch)
	}
	_, err := c.estimator()
	return err
}

// estimator returns the configured estimator: one of the straight-through family, or the exact gradient "exact" (the
// paper's, feasible when the C^L codes number at most reinmax.MaxExactOutcomes, as for 8x4).
func (c Config) estimator() (reinmax.Estimator, error) {
	est, err := reinmax.New(c.Estimator, reinmax.Params{Tau: c.Tau, K: c.K, Alpha: c.Alpha, TauForward: c.TauForward})
	if err != nil {
		return est, err
	}
	if est.Spec.Family == reinmax.ScoreFunctionFamily {
		if c.Estimator != "exact" {
			return est, fmt.Errorf("catvae: %s is a score-function estimator; the experiment takes the straight-through family or exact", c.Estimator)
		}
		shape := shapes.Make(dtypes.Float32, c.Latents, c.Categories)
		if _, err := reinmax.ExactOutcomes(reinmax.OneHotCategorical, shape); err != nil {
			return est, fmt.Errorf("catvae: %s: %w", c.Name(), err)
		}
	}
	return est, nil
}

// resolved returns c with the estimator's parameters written out (reinmax.Resolve): its default temperature and
// K in place of zeros, and zero for a parameter the estimator does not read.
func (c Config) resolved() (Config, error) {
	p, err := reinmax.Resolve(c.Estimator, reinmax.Params{Tau: c.Tau, K: c.K, Alpha: c.Alpha, TauForward: c.TauForward})
	if err != nil {
		return c, fmt.Errorf("catvae: %w", err)
	}
	c.Tau, c.K, c.Alpha, c.TauForward = p.Tau, p.K, p.Alpha, p.TauForward
	return c, nil
}

// hyper is one cell of the paper's hyper-parameter table: learning rate, temperature, optimiser.
type hyper struct {
	lr, tau float64
	opt     string
}

// paperHypers are the per-method settings of the paper's Table 8 for each configuration C×L, as transcribed in
// reference section 3.2 (the ReinMax column equals the official scripts). ST's 10×30 learning rate is written
// "0.007" there, probably a typo for 7e-4, which we use. Estimators absent from the table take the settings of the
// one they extend: GST-p those of GST-1.0, Gumbel-Softmax and decoupled-stgs those of STGS, decoupled-st those of
// ST, and reinmax-alpha, reinmax-rao and reinmax-cv those of ReinMax. The exact gradient ("exact", feasible on 8×4
// only) takes ReinMax's learning rate and optimiser.
var paperHypers = map[string]map[string]hyper{
	"8x4": {
		"stgs": {3e-4, 0.5, "adam"}, "gr-mck": {5e-4, 0.5, "adam"}, "gst-1.0": {5e-4, 1.0, "adam"},
		"st": {1e-3, 1.3, "adam"}, "reinmax": {5e-4, 1.3, "adam"}, "exact": {5e-4, 0, "adam"},
	},
	"4x24": {
		"stgs": {5e-4, 0.3, "radam"}, "gr-mck": {5e-4, 0.3, "radam"}, "gst-1.0": {5e-4, 0.5, "radam"},
		"st": {1e-3, 1.5, "radam"}, "reinmax": {5e-4, 1.5, "radam"},
	},
	"8x16": {
		"stgs": {5e-4, 0.5, "radam"}, "gr-mck": {7e-4, 0.7, "radam"}, "gst-1.0": {7e-4, 0.5, "radam"},
		"st": {1e-3, 1.5, "radam"}, "reinmax": {7e-4, 1.5, "radam"},
	},
	"16x12": {
		"stgs": {7e-4, 0.7, "radam"}, "gr-mck": {5e-4, 1.0, "adam"}, "gst-1.0": {7e-4, 0.5, "radam"},
		"st": {5e-4, 1.5, "adam"}, "reinmax": {7e-4, 1.5, "radam"},
	},
	"64x8": {
		"stgs": {7e-4, 0.7, "radam"}, "gr-mck": {7e-4, 2.0, "adam"}, "gst-1.0": {7e-4, 0.7, "radam"},
		"st": {5e-4, 1.5, "adam"}, "reinmax": {5e-4, 1.5, "radam"},
	},
	"10x30": {
		"stgs": {5e-4, 0.5, "radam"}, "gr-mck": {5e-4, 1.0, "radam"}, "gst-1.0": {5e-4, 0.5, "radam"},
		"st": {7e-4, 1.4, "radam"}, "reinmax": {5e-4, 1.3, "radam"},
	},
	// The official reinmax_32_64.sh (its --laten-ddim typo aside): RAdam, lr 5e-4, tau 1.1. Only ReinMax is given.
	"32x64": {"reinmax": {5e-4, 1.1, "radam"}},
}

// PaperConfigs lists the configurations of the paper's Table 2, in its order.
var PaperConfigs = []string{"8x4", "4x24", "8x16", "16x12", "64x8", "10x30"}

// PaperConfig returns the paper's settings for the configuration named "CxL" (e.g. "10x30") and an estimator:
// batch 100, 160 epochs, and the per-method learning rate, temperature and optimiser of the paper's table.
func PaperConfig(name, estimator string) (Config, error) {
	c, l, err := ParseName(name)
	if err != nil {
		return Config{}, err
	}
	row, ok := paperHypers[name]
	if !ok {
		return Config{}, fmt.Errorf("catvae: no paper settings for configuration %s (known: %s, 32x64)", name, strings.Join(PaperConfigs, ", "))
	}
	key := estimator
	switch estimator {
	case "gst-p":
		key = "gst-1.0"
	case "gumbel-softmax", "decoupled-stgs":
		key = "stgs"
	case "decoupled-st":
		key = "st"
	case "reinmax-alpha", "reinmax-rao", "reinmax-cv":
		key = "reinmax"
	}
	h, ok := row[key]
	if !ok {
		return Config{}, fmt.Errorf("catvae: the paper gives no settings for %s on %s", estimator, name)
	}
	cfg := Config{
		Categories: c, Latents: l, Estimator: estimator, Tau: h.tau, Optimizer: h.opt, LR: h.lr,
		Batch: 100, Epochs: 160,
	}
	if cfg, err = cfg.resolved(); err != nil {
		return Config{}, err
	}
	if name == "32x64" { // reinmax_32_64.sh: LeakyReLU, batch 200, 2000 epochs (its 500k-update cap is the same)
		cfg.LeakyReLU, cfg.Batch, cfg.Epochs = true, 200, 2000
	}
	return cfg, cfg.Validate()
}

// ParseName parses a configuration name "CxL" into its categories C and latents L.
func ParseName(name string) (categories, latents int, err error) {
	cs, ls, ok := strings.Cut(strings.ToLower(name), "x")
	c, err1 := strconv.Atoi(cs)
	l, err2 := strconv.Atoi(ls)
	if !ok || err1 != nil || err2 != nil || c < 2 || l < 1 {
		return 0, 0, fmt.Errorf("catvae: configuration %q: want CxL with C >= 2 categories and L >= 1 latents, e.g. 10x30", name)
	}
	return c, l, nil
}
