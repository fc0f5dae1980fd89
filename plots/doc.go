// Package plots draws the figures of the experiments with gonum.org/v1/plot: line curves of several series, in a
// grid of panels, optionally on a logarithmic y axis, saved as PNG and SVG.
package plots // import "github.com/f60e9205/reinmax/plots"
