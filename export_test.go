package annette

import "time"

// SetSequentialTime sets the ParallelConfig.SequentialTime of p, for
// tests of programs that an Interpreter runs with the default.
func SetSequentialTime(p *ParallelNetwork, d time.Duration) { p.pcfg.SequentialTime = d }
