package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// The bounds of the weight split: hop C in versions v1 and v2 weighted
// 80/20, splitRequests requests without the matched header. The count
// answered by v2 is binomial (n 300, p 0.2: mean 60, standard deviation
// 6.9); gRPC's weighted clusters pick by a random number per call, so the
// calls are independent. [splitLow, splitHigh] is the mean ± 5 standard
// deviations: a correct split falls outside it about once in 1.7 million
// runs, while round robin over the two pods (the route not applied: 150)
// or every call to v1 (the old route: 0) falls far outside.
const (
	splitRequests = 300
	splitLow      = 25
	splitHigh     = 95
	// matchRequests with the matched header must all reach its version.
	matchRequests = 100
)

// trafficSteps are the chain:traffic values the drill applies, one up
// each: C in versions with a header match and weights, then an abort on
// C, then a delay on C beyond a timeout on B, as Istio's request-timeouts
// task puts them (a delay on ratings, the timeout on reviews: a fault
// delay holds the call before the route's timer starts, in Envoy as in
// gRPC-Go, so a timeout never cuts a delay on its own route). Each keeps
// C's versions and match, so only routes change between them (no pod
// rolls).
const (
	versionsAndMatch = `{"c": {"versions": [{"name": "v1", "weight": 80}, {"name": "v2", "weight": 20}],
  "match": [{"headers": {"end-user": {"exact": "jason"}}, "version": "v2"}]}}`
	abortAll = `{"c": {"versions": [{"name": "v1", "weight": 80}, {"name": "v2", "weight": 20}],
  "match": [{"headers": {"end-user": {"exact": "jason"}}, "version": "v2"}],
  "fault": {"abort": {"grpcStatus": "RESOURCE_EXHAUSTED", "percent": 100}}}}`
	delayBeyondTimeout = `{"b": {"timeout": "1s"},
  "c": {"versions": [{"name": "v1", "weight": 80}, {"name": "v2", "weight": 20}],
  "match": [{"headers": {"end-user": {"exact": "jason"}}, "version": "v2"}],
  "fault": {"delay": {"fixedDelay": "5s", "percent": 100}}}}`
)

// checkTrafficManagement: chain:traffic is Istio's traffic management on
// the proxyless data plane, each step one up with a clean preview after:
// hop C in two versions behind its one Service, a header match sending
// every matching request to v2 and the rest split 80/20 (bounded
// statistically), an abort returning its gRPC status through the chain
// with the hop that saw it named, a delay on C beyond B's timeout turning
// into the timeout's error at A; and back to the single-version hop. B's
// gRPC client applies what istiod sends it for C, A's what it sends for B;
// A forwards the header.
func checkTrafficManagement(t *testing.T, d *deployment) {
	upWith := func(traffic string) {
		t.Helper()
		if traffic == "" {
			if err := d.stack.RemoveConfig(context.Background(), "chain:traffic"); err != nil {
				t.Fatal(err)
			}
		} else {
			d.setConfig(t, "chain:traffic", traffic)
		}
		d.up(t)
		if ops := d.previewOps(t); len(ops) != 0 {
			t.Errorf("after the up a preview plans %v", ops)
		}
	}
	t.Cleanup(func() {
		// Later steps run the default chain, whatever failed here.
		if _, err := d.stack.GetConfig(context.Background(), "chain:traffic"); err == nil {
			_ = d.stack.RemoveConfig(context.Background(), "chain:traffic")
			d.up(t)
		}
	})

	upWith(versionsAndMatch)
	// The replaced Deployment's pod (labeled version v1, reporting no
	// version) goes by garbage collection after up: wait until C's live
	// pods are one per version.
	onePodPer(t, d, "v1", "v2")
	for _, v := range []string{"v1", "v2"} {
		pods := livePods(t, d, appNamespace, "app=service-c,version="+v)
		if len(pods) != 1 || len(utils.Field(pods[0].Object, "spec.containers").([]interface{})) != 2 {
			t.Fatalf("service-c %s: %d pods, want one, injected (2 containers)", v, len(pods))
		}
	}
	base := portForward(t, d.kubectl, "-n", appNamespace, "svc/service-a", "0:8000")
	jason := http.Header{"End-User": {"jason"}}
	// istiod pushes the routes after the pods are ready: wait for 20
	// matching requests in a row at v2 (by chance under round robin: one
	// in a million), then count.
	waitFor(t, time.Minute, "jason's requests routed to v2", func() bool {
		for range 20 {
			if v, _ := chainVersion(t, base, jason); v != "v2" {
				return false
			}
		}
		return true
	})
	counts := countVersions(t, base, jason, matchRequests)
	if counts["v2"] != matchRequests {
		t.Errorf("requests with end-user: jason answered by %v, want all %d by v2", counts, matchRequests)
	}
	counts = countVersions(t, base, nil, splitRequests)
	if counts["v1"]+counts["v2"] != splitRequests || counts["v2"] < splitLow || counts["v2"] > splitHigh {
		t.Errorf("requests without the header answered by %v; want v1 and v2 alone, v2 within [%d, %d] of %d (weights 80/20)", counts, splitLow, splitHigh, splitRequests)
	}
	t.Logf("weights 80/20 over %d requests: %v; jason's %d all v2", splitRequests, counts, matchRequests)
	// make verify's split, from C's own counters in Prometheus, once a
	// scrape has seen these requests.
	prom := portForward(t, d.kubectl, "-n", istioNamespace, "svc/prometheus", "0:9090")
	_, target := d.verifyTarget(t)
	var split string
	waitFor(t, 2*time.Minute, "Prometheus counting the split", func() bool {
		detail, err := verify.TrafficSplit(context.Background(), prom, appNamespace, target.Versions)
		split = detail
		var counted int
		_, _ = fmt.Sscanf(detail, "service-c over %d requests", &counted)
		return err == nil && counted >= splitRequests+matchRequests
	})
	t.Logf("make verify's split: %s", split)

	upWith(abortAll)
	status, body := chainAnswer(t, d, time.Minute, "B's call into C aborted with RESOURCE_EXHAUSTED", brokenAt("B", "ResourceExhausted", "fault injection"))
	if status != http.StatusBadGateway {
		t.Errorf("the head answers %d with the abort, want 502: %s", status, body)
	}
	for range 10 {
		if status, body := chainAnswerOnce(t, base, nil); !brokenAt("B", "ResourceExhausted", "fault injection")(status, body) {
			t.Errorf("an abort at 100%% let a call through: %d %s", status, body)
		}
	}
	t.Logf("with the abort: %d %s", status, body)

	upWith(delayBeyondTimeout)
	status, body = chainAnswer(t, d, time.Minute, "A's call into B cut by B's route's 1s timeout, before A's own 3s", brokenAt("A", "DeadlineExceeded", "route's timeout"))
	if status != http.StatusGatewayTimeout {
		t.Errorf("the head answers %d with the timeout, want 504: %s", status, body)
	}
	t.Logf("with a 5s delay on C and a 1s timeout on B: %d %s", status, body)

	upWith("")
	onePodPer(t, d, "v1")
	if got := d.get(t, "deployment", "service-c", "-n", appNamespace); got.GetLabels()["version"] != "v1" {
		t.Errorf("back to one version: service-c's Deployment is labeled %v", got.GetLabels())
	}
	chainAnswer(t, d, time.Minute, "the chain healed", chainWorks)
}

// onePodPer waits until hop C's live pods are exactly one of each
// version: the pods of a Deployment up deleted leave by garbage
// collection, after up returned.
func onePodPer(t *testing.T, d *deployment, versions ...string) {
	t.Helper()
	var got []string
	waitFor(t, 2*time.Minute, fmt.Sprintf("one pod of service-c per version %v", versions), func() bool {
		got = got[:0]
		for _, p := range livePods(t, d, appNamespace, "app=service-c") {
			got = append(got, p.GetLabels()["version"])
		}
		slices.Sort(got)
		return slices.Equal(got, versions)
	})
}

// chainAnswerOnce is the first hop's answer to one /service request with header.
func chainAnswerOnce(t *testing.T, base string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/service", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	return resp.StatusCode, string(b)
}

// chainVersion is the VERSION the last hop reports in the chain's answer.
func chainVersion(t *testing.T, base string, header http.Header) (string, string) {
	t.Helper()
	status, body := chainAnswerOnce(t, base, header)
	var answer struct {
		ServiceType string `json:"SERVICE_TYPE"`
		Version     string `json:"VERSION"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &answer) != nil || answer.ServiceType != "C" {
		return "", fmt.Sprintf("%d %s", status, strings.TrimSpace(body))
	}
	return answer.Version, body
}

// countVersions sends n requests through the chain and counts the
// versions of C that answered; a failed request fails the test.
func countVersions(t *testing.T, base string, header http.Header, n int) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for range n {
		v, body := chainVersion(t, base, header)
		if v == "" {
			t.Fatalf("the chain failed during the count: %s", body)
		}
		counts[v]++
	}
	return counts
}

// waitFor polls ok every second until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s", within, what)
		}
		time.Sleep(time.Second)
	}
}
