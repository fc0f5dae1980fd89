// Package experiments holds what the paper's experiments share: progress reports and the sharding of sweeps.
// Each experiment lives in a sub-package (poly, catvae, ...) with a Config of paper defaults and a Run function;
// experiments never parse flags and never print.
package experiments // import "github.com/f60e9205/reinmax/experiments"
