package bervae

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/f60e9205/reinmax"
)

// Datasets lists the data sets, in the order of the paper's Table 6.
var Datasets = []string{"mnist", "fashion", "omniglot"}

// Config is one training run: every setting that changes its numbers (its JSON is the run's identity, see
// experiments.ID). PaperConfig fills it with the paper's settings.
type Config struct {
	Dataset   string  `json:"dataset"`    // "mnist", "fashion" or "omniglot"
	Estimator string  `json:"estimator"`  // any estimator of the registry, of either family
	Tau       float64 `json:"tau"`        // temperature of a straight-through estimator; 0 for the others
	K         int     `json:"k"`          // decoder evaluations per image, >= 1 (paper: 2 and 3)
	Optimizer string  `json:"optimizer"`  // "adam" or "radam"
	LR        float64 `json:"lr"`         // learning rate, > 0
	Batch     int     `json:"batch"`      // images per step (paper: 100)
	Steps     int     `json:"steps"`      // parameter updates (paper: 10⁶)
	EvalEvery int     `json:"eval_every"` // steps between evaluations of the validation and test −ELBO
	Seed      int64   `json:"seed"`
	// FixedBinarization binarises the training images once per run, as the ReinMax code did, instead of drawing
	// fresh pixels every epoch as RODEO and DisARM do.
	FixedBinarization bool `json:"fixed_binarization"`
	IWSamples         int  `json:"iw_samples"` // samples of the importance-weighted test bound at the end (RODEO: 100); 0 skips it
	IWImages          int  `json:"iw_images"`  // test images the bound is computed on; 0: all
	TrainSize         int  `json:"train_size"` // use only the first TrainSize training images (0: all); 0 or >= Batch
	EvalSize          int  `json:"eval_size"`  // use only the first EvalSize validation and test images (0: all)
	// Binary runs a straight-through estimator in its Bernoulli form (reinmax.Binary: the encoder's logit α per
	// latent, one uniform per latent, element-wise backward) instead of its two-category form with logits (α, 0);
	// the two have the same sample law and expected gradient, but draw from different uniforms. Only estimators
	// with a Bernoulli form take it.
	Binary bool `json:"binary"`
}

// Label implements experiments.Config, e.g. "mnist K=2 reinmax seed=0".
func (c Config) Label() string { return label(c.Dataset, c.K, c.Estimator, c.Seed) }

func label(dataset string, k int, estimator string, seed int64) string {
	return fmt.Sprintf("%s K=%d %s seed=%d", dataset, k, estimator, seed)
}

// Name is the run's configuration name, e.g. "mnist K=2".
func (c Config) Name() string { return fmt.Sprintf("%s K=%d", c.Dataset, c.K) }

// Validate returns an error naming the first field out of range.
func (c Config) Validate() error {
	switch {
	case !slices.Contains(Datasets, c.Dataset):
		return fmt.Errorf("bervae: dataset %q, want one of %s", c.Dataset, strings.Join(Datasets, ", "))
	case c.K < 1:
		return fmt.Errorf("bervae: K = %d evaluations, want >= 1", c.K)
	case c.Optimizer != "adam" && c.Optimizer != "radam":
		return fmt.Errorf("bervae: optimizer %q, want adam or radam", c.Optimizer)
	case !(c.LR > 0) || math.IsInf(c.LR, 1):
		return fmt.Errorf("bervae: learning rate = %v, want a finite value > 0", c.LR)
	case c.Batch < 1:
		return fmt.Errorf("bervae: batch = %d, want >= 1", c.Batch)
	case c.Steps < 1:
		return fmt.Errorf("bervae: steps = %d, want >= 1", c.Steps)
	case c.EvalEvery < 1:
		return fmt.Errorf("bervae: eval-every = %d steps, want >= 1", c.EvalEvery)
	case c.IWSamples < 0 || c.IWImages < 0 || c.TrainSize < 0 || c.EvalSize < 0:
		return fmt.Errorf("bervae: IW samples, IW images, train size and eval size must not be negative")
	case c.TrainSize > 0 && c.TrainSize < c.Batch:
		return fmt.Errorf("bervae: train size %d is less than one batch of %d images", c.TrainSize, c.Batch)
	}
	_, err := c.estimator()
	return err
}

// estimator returns the configured estimator, of either family: K is the number of evaluations of a score-function
// estimator, and the number of samples a straight-through estimator averages over.
func (c Config) estimator() (reinmax.Estimator, error) {
	if c.Estimator == "exact" {
		return reinmax.Estimator{}, fmt.Errorf("bervae: exact enumeration of 2^200 outcomes is impossible; choose another estimator")
	}
	spec, err := reinmax.Lookup(c.Estimator)
	if err != nil {
		return reinmax.Estimator{}, err
	}
	p := reinmax.Params{Tau: c.Tau}
	if spec.Family == reinmax.ScoreFunctionFamily {
		p = reinmax.Params{K: c.K}
	}
	est, err := reinmax.New(c.Estimator, p)
	if err != nil {
		return est, fmt.Errorf("bervae: %w", err)
	}
	if c.Binary && !est.Spec.Bernoulli {
		return est, fmt.Errorf("bervae: %s has no Bernoulli form (--binary)", c.Estimator)
	}
	return est, nil
}

// PaperConfig returns the paper's settings for an estimator on a data set with K evaluations: batch 100, 10⁶
// updates, evaluation every epoch, the 100-sample importance-weighted test bound.
//
// Straight-through estimators use the ReinMax scripts' RAdam settings (lr 3e-4, τ 1.1; Omniglot with K = 3: lr 5e-4,
// τ 1.2); the paper gives no temperature for the other straight-through estimators on this task, so they keep
// their registry default. Score-function estimators use RODEO's protocol, whose runs give the paper's numbers for
// them: Adam, lr 1e-3 (MNIST, Omniglot) or 3e-4 (Fashion-MNIST).
func PaperConfig(dataset string, k int, estimator string) (Config, error) {
	c := Config{Dataset: dataset, Estimator: estimator, K: k, Batch: 100, Steps: 1_000_000, Seed: 0, IWSamples: 100}
	c.EvalEvery = trainLen(dataset) / c.Batch
	spec, err := reinmax.Lookup(estimator)
	if err != nil {
		return Config{}, err
	}
	if spec.Family == reinmax.StraightThroughFamily {
		c.Optimizer, c.LR = "radam", 3e-4
		if estimator == "reinmax" {
			c.Tau = 1.1
		}
		if dataset == "omniglot" && k == 3 {
			c.LR = 5e-4
			if estimator == "reinmax" {
				c.Tau = 1.2
			}
		}
	} else {
		c.Optimizer, c.LR = "adam", 1e-3
		if dataset == "fashion" {
			c.LR = 3e-4
		}
	}
	if c, err = c.resolved(); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// resolved returns c with the estimator's parameter written out (reinmax.Resolve): the default temperature of a
// straight-through estimator in place of zero, and no temperature and no Binary for a score-function estimator,
// which has neither.
func (c Config) resolved() (Config, error) {
	p, err := reinmax.Resolve(c.Estimator, reinmax.Params{Tau: c.Tau})
	if err != nil {
		return c, fmt.Errorf("bervae: %w", err)
	}
	c.Tau = p.Tau
	if spec, _ := reinmax.Lookup(c.Estimator); spec.Family == reinmax.ScoreFunctionFamily {
		c.Binary = false // a score-function estimator takes one logit per latent already
	}
	return c, nil
}
