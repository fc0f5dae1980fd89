package experiments

// Stamp is what every record of a results file carries of its run: the run's identity (ID) and every setting
// that made it. Records embed it; the runner fills it in.
type Stamp[C any] struct {
	Run      string `json:"run,omitempty"`
	Settings *C     `json:"settings,omitempty"`
}

// RunKey implements results.Record: the run's identity.
func (s Stamp[C]) RunKey() string { return s.Run }

// SetStamp records the run's identity and settings.
func (s *Stamp[C]) SetStamp(id string, cfg C) { s.Run, s.Settings = id, &cfg }

// Legacy reports whether the record was written before records carried their run's identity.
func (s Stamp[C]) Legacy() bool { return s.Run == "" }
