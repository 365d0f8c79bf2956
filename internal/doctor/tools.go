package doctor

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/toolbuild"
)

// checkTools reports each pinned tool of `make tools` built or missing;
// one `make tools` builds every missing one (and skips the rest).
func checkTools(r *Report, m Machine, in Input) {
	var missing int
	var cold time.Duration
	for _, s := range in.Plan {
		if len(s.Outputs) == 0 {
			continue // rebuilt on every run in seconds: nothing to report
		}
		if absent := absentOutputs(m, in.Root, s); len(absent) > 0 {
			missing++
			cold += s.Cold
			r.add(Finding{Check: s.Name, Status: Problem,
				Detail: fmt.Sprintf("not built (%s missing; %s)", absent[0], coldCost(s.Cold)),
				Fix:    "make tools"})
			continue
		}
		r.add(Finding{Check: s.Name, Status: OK, Detail: "built"})
	}
	if missing > 1 {
		r.add(Finding{Check: "tools", Status: Info,
			Detail: fmt.Sprintf("one `make tools` builds the %d missing tools (the first `make up` runs it too); %s in all", missing, coldCost(cold))})
	}
}

// absentOutputs are the step's outputs that do not exist, relative to root.
func absentOutputs(m Machine, root string, s toolbuild.Step) []string {
	var out []string
	for _, o := range s.Outputs {
		if !m.Exists(filepath.Join(root, o)) {
			out = append(out, o)
		}
	}
	return out
}

// coldCost says what a build takes on 2 cores with a cold Go cache, as
// measured (toolbuild.Step.Cold).
func coldCost(d time.Duration) string {
	if d < time.Minute {
		return "under a minute on 2 cores, cold"
	}
	return "about " + toolbuild.Minutes(d) + " on 2 cores, cold"
}
