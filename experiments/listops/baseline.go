package listops

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	listopsdata "github.com/f60e9205/reinmax/data/listops" // the data set; this package is the experiment
)

// Baselines are simple references for the scale of the tree model's numbers, fitted on one training set.
type Baselines struct {
	TrainSize int `json:"train_size"`
	// Majority predicts the most frequent label of the training set.
	MajorityLabel    int     `json:"majority_label"`
	MajorityValidAcc float64 `json:"majority_valid_acc"`
	MajorityTestAcc  float64 `json:"majority_test_acc"`
	// BagOfTokens is multinomial logistic regression on the counts of the 15 tokens (order ignored), with a small L2
	// penalty, fitted by gradient descent with backtracking.
	BagValidAcc float64 `json:"bag_of_tokens_valid_acc"`
	BagTestAcc  float64 `json:"bag_of_tokens_test_acc"`
	// LeftF1 and RightF1 are the test TreeF1 of the purely left- and right-branching trees.
	LeftF1  float64 `json:"left_branching_tree_f1"`
	RightF1 float64 `json:"right_branching_tree_f1"`
}

// bagL2 is the L2 penalty of the bag-of-tokens model on its weights (not its biases), per training example.
const bagL2 = 1e-4

// FitBaselines fits the baselines on the first trainSize training expressions of data and measures them on its
// validation and test sets.
func FitBaselines(data Data, trainSize int) (Baselines, error) {
	if trainSize < 1 || trainSize > len(data.Train) {
		return Baselines{}, fmt.Errorf("listops: baselines: train size %d, want 1..%d", trainSize, len(data.Train))
	}
	train := data.Train[:trainSize]
	b := Baselines{TrainSize: trainSize}
	var counts [Classes]int
	for _, e := range train {
		counts[e.Label]++
	}
	for k, c := range counts {
		if c > counts[b.MajorityLabel] {
			b.MajorityLabel = k
		}
	}
	b.MajorityValidAcc = accuracy(data.Valid, func(listopsdata.Example) int { return b.MajorityLabel })
	b.MajorityTestAcc = accuracy(data.Test, func(listopsdata.Example) int { return b.MajorityLabel })

	bag, err := fitBag(train)
	if err != nil {
		return Baselines{}, err
	}
	b.BagValidAcc = accuracy(data.Valid, bag.predict)
	b.BagTestAcc = accuracy(data.Test, bag.predict)

	left, right := make([]parse, len(data.Test)), make([]parse, len(data.Test))
	for i, e := range data.Test {
		n := len(e.Tokens)
		left[i].merges = make([]int, n-1) // always merge the first two trees
		right[i].merges = make([]int, n-1)
		for t := range right[i].merges {
			right[i].merges[t] = n - t - 2 // always merge the last two
		}
	}
	if b.LeftF1, err = treeF1(data.Test, left); err != nil {
		return Baselines{}, err
	}
	if b.RightF1, err = treeF1(data.Test, right); err != nil {
		return Baselines{}, err
	}
	return b, nil
}

func accuracy(ex []listopsdata.Example, predict func(listopsdata.Example) int) float64 {
	if len(ex) == 0 {
		return math.NaN()
	}
	hit := 0
	for _, e := range ex {
		if predict(e) == e.Label {
			hit++
		}
	}
	return float64(hit) / float64(len(ex))
}

// bagFeatures is the number of inputs of the bag-of-tokens model: the counts of the tokens 1..VocabSize−1.
const bagFeatures = listopsdata.VocabSize - 1

// bagModel is a multinomial logistic regression on standardised token counts: logits_k = b_k + Σ_j W_kj x_j.
type bagModel struct {
	mean, std [bagFeatures]float64
	w         []float64 // Classes rows of bagFeatures weights followed by a bias
}

func (m bagModel) features(e listopsdata.Example) [bagFeatures]float64 {
	var x [bagFeatures]float64
	for _, t := range e.Tokens {
		x[t-1]++
	}
	for j := range x {
		x[j] = (x[j] - m.mean[j]) / m.std[j]
	}
	return x
}

// logits writes the class scores of the features x into dst.
func (m bagModel) logits(dst *[Classes]float64, w []float64, x *[bagFeatures]float64) {
	for k := range dst {
		row := w[k*(bagFeatures+1) : (k+1)*(bagFeatures+1)]
		dst[k] = row[bagFeatures] + floats.Dot(row[:bagFeatures], x[:])
	}
}

func (m bagModel) predict(e listopsdata.Example) int {
	x := m.features(e)
	var z [Classes]float64
	m.logits(&z, m.w, &x)
	return floats.MaxIdx(z[:])
}

// fitBag fits the bag-of-tokens model by minimising the mean cross-entropy plus bagL2/2·‖W‖² with L-BFGS.
func fitBag(train []listopsdata.Example) (bagModel, error) {
	var m bagModel
	for j := range m.std {
		m.std[j] = 1
	}
	raw := make([][bagFeatures]float64, len(train))
	for i, e := range train {
		raw[i] = m.features(e) // mean 0, std 1: the raw counts
	}
	n := float64(len(train))
	for j := range bagFeatures {
		var s, s2 float64
		for _, x := range raw {
			s += x[j]
			s2 += x[j] * x[j]
		}
		m.mean[j] = s / n
		m.std[j] = math.Sqrt(max(s2/n-m.mean[j]*m.mean[j], 1e-12))
	}
	xs := make([][bagFeatures]float64, len(train))
	for i, e := range train {
		xs[i] = m.features(e)
	}
	dim := Classes * (bagFeatures + 1)
	objective := func(grad, w []float64) float64 {
		if grad != nil {
			for i := range grad {
				grad[i] = 0
			}
		}
		var loss float64
		var z [Classes]float64
		for i, e := range train {
			m.logits(&z, w, &xs[i])
			lse := floats.LogSumExp(z[:])
			loss += lse - z[e.Label]
			if grad == nil {
				continue
			}
			for k := range z {
				p := math.Exp(z[k] - lse)
				if k == e.Label {
					p--
				}
				row := grad[k*(bagFeatures+1) : (k+1)*(bagFeatures+1)]
				floats.AddScaled(row[:bagFeatures], p/n, xs[i][:])
				row[bagFeatures] += p / n
			}
		}
		loss /= n
		for k := range Classes {
			row := w[k*(bagFeatures+1) : k*(bagFeatures+1)+bagFeatures]
			loss += bagL2 / 2 * floats.Dot(row, row)
			if grad != nil {
				floats.AddScaled(grad[k*(bagFeatures+1):k*(bagFeatures+1)+bagFeatures], bagL2, row)
			}
		}
		return loss
	}
	w, err := descend(objective, make([]float64, dim))
	if err != nil {
		return bagModel{}, fmt.Errorf("listops: bag-of-tokens baseline: %w", err)
	}
	m.w = w
	return m, nil
}

// Settings of descend.
const (
	descentIters = 300  // gradient steps
	descentTol   = 1e-9 // stop when a step improves the objective by less
)

// descend minimises a smooth convex objective (which returns its value and, when grad is not nil, writes its
// gradient) by gradient descent from x, with a step that doubles after every accepted step and halves until the
// objective decreases (backtracking).
func descend(objective func(grad, x []float64) float64, x []float64) ([]float64, error) {
	grad := make([]float64, len(x))
	trial := make([]float64, len(x))
	f := objective(grad, x)
	step := 1.0
	for range descentIters {
		for {
			floats.AddScaledTo(trial, x, -step, grad)
			ft := objective(nil, trial)
			if ft < f {
				improved := f - ft
				copy(x, trial)
				f = objective(grad, x)
				step *= 2
				if improved < descentTol {
					return x, nil
				}
				break
			}
			step /= 2
			if step < 1e-12 {
				return x, nil // no descent direction left: a minimum to working precision
			}
		}
		if math.IsNaN(f) {
			return nil, fmt.Errorf("objective is NaN")
		}
	}
	return x, nil
}
