//go:build !linux

package check

// table is the engine's event table (a Go slice off Linux).
type table struct{ heap []rec }

func (t *table) push(x rec)  { t.heap = append(t.heap, x) }
func (t *table) recs() []rec { return t.heap }
func (t *table) release()    { t.heap = nil }
func (t *table) len() int    { return len(t.heap) }
