package vq

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// StraightThrough returns the straight-through estimator of VQ-VAE for vectors z and their codes q (both (..., d)):
//
//	forward:  q
//	backward: ∂L/∂z = ∂L/∂q,  nothing to q
//
// the value of z + sg(q − z), but exactly q (no rounding of z + (q − z)), with the gradient copied to z. The
// codebook learns only from the codebook loss. It panics unless z and q have one shape and float dtype.
//
// Reference: A. van den Oord, O. Vinyals, K. Kavukcuoglu, "Neural Discrete Representation Learning", NeurIPS 2017.
func StraightThrough(z, q *Node) *Node {
	checkPair("StraightThrough", z, q)
	return withVJP(q, []*Node{z}, func(v *Node, _ int) *Node { return v })
}
