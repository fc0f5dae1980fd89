package experiments

// Workload is one training step of an experiment (sampling, estimator, loss, gradient and optimiser update, one
// graph execution) on fixed inputs, for `reinmax bench` to time and bench/compare.py to set beside PyTorch's.
type Workload struct {
	Describe string       // the workload's settings on one line, e.g. "workload=vae config=10x30 estimator=reinmax"
	Step     func() error // runs one step; the first compiles the graph
	Close    func()       // releases the compiled graph
}

// WorkloadSpec says which training step a workload times.
type WorkloadSpec struct {
	Estimator string // a registry name
	Batch     int    // examples per step; 0 for the workload's default
	Binary    bool   // the estimator's Bernoulli form, for a workload of binary variables
}
