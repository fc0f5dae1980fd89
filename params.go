package reinmax

import "cmp"

// Resolve returns the parameters the estimator registered under name runs with when given p: the estimator's
// defaults in place of p's zero fields, and zero for the fields it does not read. Two parameter sets that resolve
// alike give the same estimator. It returns an error for an unknown name or a negative or non-finite field.
func Resolve(name string, p Params) (Params, error) {
	s, err := Lookup(name)
	if err != nil {
		return Params{}, err
	}
	if err := checkParams(s, p); err != nil {
		return Params{}, err
	}
	return resolve(s, p), nil
}

// resolve writes out the parameters of the estimator of s given p (see Resolve).
func resolve(s Spec, p Params) Params {
	var out Params
	for _, field := range s.Params {
		switch field {
		case "tau":
			out.Tau = cmp.Or(p.Tau, s.Tau)
		case "k":
			out.K = cmp.Or(p.K, s.K)
		case "alpha":
			out.Alpha = cmp.Or(p.Alpha, s.Alpha)
		case "tau-forward":
			out.TauForward = cmp.Or(p.TauForward, s.TauForward)
		}
	}
	return out
}
