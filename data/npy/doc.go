// Package npy reads NumPy .npy arrays and .npz archives (zip files of .npy arrays).
//
// A .npy file is the magic "\x93NUMPY", a version byte pair (1.0, 2.0 or 3.0), the length of the
// header (uint16 little-endian for 1.0, uint32 for 2.0 and 3.0), the header itself, a Python
// dict literal such as
//
//	{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//
// padded with spaces and ended by a newline, and then the raw elements. The reader supports the
// element types |b1 (bool), |i1, |u1 and the little-endian <i2, <u2, <i4, <u4, <i8, <u8, <f4,
// <f8, in C (row-major) order; Fortran order, big-endian data and structured types are rejected
// with an error that says so.
//
// The reader is meant to be safe on hostile input: it never panics, rejects shapes whose size
// overflows or exceeds MaxDataBytes, checks the shape against the size recorded in a .npz entry,
// and only allocates as data actually arrives.
//
// Reference: the NumPy format specification, numpy/lib/format.py ("NEP 1").
package npy // import "github.com/f60e9205/reinmax/data/npy"
