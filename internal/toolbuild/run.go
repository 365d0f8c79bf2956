package toolbuild

import (
	"fmt"
	"sync"
)

// Run calls build for the plan's steps, at most jobs at a time, taking
// them in plan order as far as their constraints allow:
//
//   - steps of one Graph build one after another, in plan order: the later
//     one finds the packages they share compiled, where two at once would
//     both compile them;
//   - a step After every earlier one (the images, which pack the binaries
//     the others build) waits for all of them.
//
// A build keeps the cores busy while it compiles, but not while it
// downloads its modules, loads its packages or links, and a second build
// fills those gaps: a cold `make tools` on 2 cores took 44 min two at a
// time against about 48 one at a time (BENCHMARKS.md), although each build
// alone got slower. After a failure no further
// step starts; the steps running are waited for, and the first error is
// returned.
func (p Plan) Run(jobs int, build func(i int, s Step) error) error {
	if jobs < 1 {
		jobs = 1
	}
	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		started  = make([]bool, len(p))
		finished = make([]bool, len(p))
		running  int
		firstErr error
		wg       sync.WaitGroup
	)
	// ready reports whether step i may start now (mu held).
	ready := func(i int) bool {
		for j := range i {
			if finished[j] {
				continue
			}
			if p[i].After || (p[i].Graph != "" && p[j].Graph == p[i].Graph) {
				return false
			}
		}
		return true
	}
	mu.Lock()
	for {
		if firstErr == nil && running < jobs {
			next := -1
			for i := range p {
				if !started[i] && ready(i) {
					next = i
					break
				}
			}
			if next >= 0 {
				started[next] = true
				running++
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					err := build(i, p[i])
					mu.Lock()
					defer mu.Unlock()
					finished[i] = true
					running--
					if err != nil && firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", p[i].Name, err)
					}
					cond.Broadcast()
				}(next)
				continue
			}
		}
		if running == 0 {
			break
		}
		cond.Wait()
	}
	mu.Unlock()
	wg.Wait()
	return firstErr
}
