package experiments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// IDLength is the number of hexadecimal digits of a run's identity.
const IDLength = 16

// ID returns the identity of the run of experiment with the science configuration cfg: the first IDLength hex
// digits of SHA-256 over the experiment's name and the canonical JSON of cfg.
//
// The canonical form sorts object keys and leaves out every field at its zero value (0, "", false, null, empty
// list or object), so that adding a setting whose zero value keeps the old behaviour leaves every existing
// identity as it was. Numbers keep their JSON text; two configurations have the same identity exactly when they
// encode to the same settings.
func ID(experiment string, cfg any) (string, error) {
	canon, err := Canonical(cfg)
	if err != nil {
		return "", fmt.Errorf("%s: identity of %+v: %w", experiment, cfg, err)
	}
	h := sha256.New()
	h.Write([]byte(experiment))
	h.Write([]byte{'\n'})
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))[:IDLength], nil
}

// Canonical returns the canonical JSON of v that ID hashes: keys sorted, zero values left out.
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	tree, _ = pruneZero(tree)
	return json.Marshal(tree) // encoding/json writes map keys sorted
}

// pruneZero drops zero-valued fields from objects, recursively, and reports whether v itself is zero.
func pruneZero(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case bool:
		return x, !x
	case string:
		return x, x == ""
	case json.Number:
		f, err := x.Float64()
		return x, err == nil && f == 0
	case []any:
		for i, e := range x {
			x[i], _ = pruneZero(e) // elements keep their place, zero or not
		}
		return x, len(x) == 0
	case map[string]any:
		for k, e := range x {
			pruned, zero := pruneZero(e)
			if zero {
				delete(x, k)
				continue
			}
			x[k] = pruned
		}
		return x, len(x) == 0
	}
	return v, false
}
