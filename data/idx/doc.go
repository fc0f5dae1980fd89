// Package idx decodes and encodes the IDX format of LeCun's MNIST files.
//
// An IDX file is a 4-byte magic number 0x00 0x00 t n, where t is the element type (0x08 uint8,
// 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64) and n the number of dimensions,
// then n big-endian uint32 sizes, then the elements in row-major order, big-endian. Files are often
// gzip-compressed; Decode recognises the gzip magic 0x1f 0x8b and decompresses transparently.
//
// Decode is meant to be safe on hostile input: it never panics, rejects size products that
// overflow or exceed MaxDataBytes, and only allocates as the data actually arrives, so a header
// that promises more than the file holds costs at most the bytes that are really there.
//
// Reference: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits",
// section "File formats for the MNIST database".
package idx // import "github.com/f60e9205/reinmax/data/idx"
