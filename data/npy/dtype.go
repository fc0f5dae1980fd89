package npy

// DType is the element type of an array, as given by the 'descr' field of the header.
type DType int

// The supported element types; the comment gives the descr NumPy writes.
const (
	Bool    DType = iota + 1 // |b1, one byte, zero is false and any other value true
	Int8                     // |i1
	Uint8                    // |u1
	Int16                    // <i2
	Uint16                   // <u2
	Int32                    // <i4
	Uint32                   // <u4
	Int64                    // <i8
	Uint64                   // <u8
	Float32                  // <f4
	Float64                  // <f8
)

var descrs = [...]string{
	Bool: "|b1", Int8: "|i1", Uint8: "|u1", Int16: "<i2", Uint16: "<u2", Int32: "<i4",
	Uint32: "<u4", Int64: "<i8", Uint64: "<u8", Float32: "<f4", Float64: "<f8",
}

var sizes = [...]int{
	Bool: 1, Int8: 1, Uint8: 1, Int16: 2, Uint16: 2, Int32: 4,
	Uint32: 4, Int64: 8, Uint64: 8, Float32: 4, Float64: 8,
}

// Size returns the number of bytes of one element, or 0 if d is not a supported type.
func (d DType) Size() int {
	if d <= 0 || int(d) >= len(sizes) {
		return 0
	}
	return sizes[d]
}

// String returns the NumPy descr of d, such as "<f4".
func (d DType) String() string {
	if d <= 0 || int(d) >= len(descrs) {
		return "unknown"
	}
	return descrs[d]
}

// isInteger reports whether d is one of the integer types (Bool excluded).
func (d DType) isInteger() bool {
	return d >= Int8 && d <= Uint64
}

// parseDescr returns the DType of a NumPy descr. One-byte types may carry any byte-order
// character ('|', '<', '>', '='), since byte order is meaningless for them; wider types must be
// little-endian ('<', or '=' which NumPy never writes but which means little-endian here).
func parseDescr(s string) (DType, bool) {
	if len(s) < 3 {
		return 0, false
	}
	order, rest := s[0], s[1:]
	for d := Bool; int(d) < len(descrs); d++ {
		if descrs[d][1:] != rest {
			continue
		}
		if d.Size() == 1 {
			return d, order == '|' || order == '<' || order == '>' || order == '='
		}
		return d, order == '<' || order == '='
	}
	return 0, false
}
