package verify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
)

// istiodApp is the app label istiod's chart gives its pods, every
// revision's alike; Istio's control plane dashboard selects istiod by it.
const istiodApp = "istiod"

// istiodUpQuery is the scrape health of every istiod pod in the mesh's
// namespace, by the labels the control plane dashboard selects on.
func istiodUpQuery(istioNamespace string) string {
	return fmt.Sprintf(`up{namespace=%q,app=%q}`, istioNamespace, istiodApp)
}

// IstiodScraped asks Prometheus (at base) whether it scrapes each istiod
// pod of the mesh's namespace once and finds it up, under the labels
// Istio's control plane dashboard selects and sums by (app, pod). A pod
// that two jobs scrape counts twice in every sum of that dashboard.
func IstiodScraped(ctx context.Context, base, istioNamespace string) (string, error) {
	api, err := prometheusAPI(base)
	if err != nil {
		return "", err
	}
	vector, err := queryVector(ctx, api, istiodUpQuery(istioNamespace))
	if err != nil {
		return "", err
	}
	return judgeIstiodScrapes(vector)
}

// judgeIstiodScrapes reads up{app="istiod"}: one series per pod, each 1.
func judgeIstiodScrapes(vector model.Vector) (string, error) {
	jobs := map[string][]string{}
	down := map[string]bool{}
	for _, s := range vector {
		pod := string(s.Metric["pod"])
		jobs[pod] = append(jobs[pod], string(s.Metric["job"]))
		if s.Value != 1 {
			down[pod] = true
		}
	}
	if len(jobs) == 0 {
		return "", fmt.Errorf(`no istiod pod is scraped with app="istiod" (Istio's control plane dashboard would be empty)`)
	}
	var seen, problems []string
	for _, pod := range slices.Sorted(maps.Keys(jobs)) {
		switch {
		case pod == "":
			problems = append(problems, "istiod is scraped without a pod label (the control plane dashboard sums by pod)")
		case len(jobs[pod]) > 1:
			slices.Sort(jobs[pod])
			problems = append(problems, fmt.Sprintf("%s is scraped by %d jobs (%s): every sum of the control plane dashboard counts it %d times",
				pod, len(jobs[pod]), strings.Join(jobs[pod], ", "), len(jobs[pod])))
		case down[pod]:
			problems = append(problems, pod+" has its target down")
		default:
			seen = append(seen, pod+" up")
		}
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return strings.Join(seen, ", "), nil
}
