package reinmax

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
	var out Params
	for _, field := range s.Params {
		switch field {
		case "tau":
			out.Tau = orDefault(p.Tau, s.Tau)
		case "k":
			out.K = orDefault(p.K, s.K)
		}
	}
	return out, nil
}
