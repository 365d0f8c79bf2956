package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/play-kubernetes/play-kubernetes/internal/verify"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
)

// routedTraffic is the chain:traffic the routing bench runs: hop C in two
// versions split 80/20, a header match before the weights, and a timeout
// and retries on its route (none of which fires: the cost measured is
// the routing's, not a fault's).
const routedTraffic = `{"c": {
  "versions": [{"name": "v1", "weight": 80}, {"name": "v2", "weight": 20}],
  "match": [{"headers": {"end-user": {"exact": "jason"}}, "version": "v2"}],
  "timeout": "2s", "retries": {"attempts": 2, "retryOn": "unavailable"}}}`

// The routing bench's load: an open loop at trafficRate for
// trafficDuration after trafficWarmup requests, every tenth request with
// the matched header.
const (
	trafficRate     = 100
	trafficDuration = 30 * time.Second
	trafficWarmup   = 300
	idleWindow      = 20 * time.Second
)

// TrafficRun is the chain under load in one configuration.
type TrafficRun struct {
	Config   string        `json:"config"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	// CPUPerRequest is the hops' sample-app containers' CPU (the kubelet's
	// usageCoreNanoSeconds, summed over their pods) per request;
	// CPUPerRequestLessIdle the same less what they use idle (IdleCPU, per
	// second, measured over idleWindow before the load).
	CPUPerRequest         time.Duration `json:"cpuPerRequest"`
	CPUPerRequestLessIdle time.Duration `json:"cpuPerRequestLessIdle"`
	IdleCPU               time.Duration `json:"idleCpuPerSecond"`
	// Versions counts the answers of each version of C.
	Versions map[string]int `json:"versions"`
}

// routing measures the chain on the proxyless data plane with hop C in
// two versions behind routing rules, against the default chain, in
// alternating rounds, each configuration one `up` away from the other.
func (b *bench) routing(ctx context.Context, rounds int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", b.kubeconfig)
	if err != nil {
		return err
	}
	cluster, err := verify.NewCluster(cfg)
	if err != nil {
		return err
	}
	configs := []struct{ name, traffic string }{{"default chain", ""}, {"C in two versions, header match, weights 80/20, timeout, retries", routedTraffic}}
	for round := range rounds {
		for i := range configs {
			c := configs[(i+round)%len(configs)]
			if err := b.setTraffic(ctx, c.traffic); err != nil {
				return err
			}
			run, err := measureChain(ctx, cluster, c.traffic != "")
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			run.Config = c.name
			fmt.Fprintf(os.Stderr, "bench: routing round %d, %s: p50 %s p99 %s, %s CPU/request (%s less idle, idle %s/s), %d errors, versions %v\n",
				round+1, c.name, run.P50, run.P99, run.CPUPerRequest, run.CPUPerRequestLessIdle, run.IdleCPU, run.Errors, run.Versions)
			b.results.Traffic = append(b.results.Traffic, run)
		}
	}
	return b.setTraffic(ctx, "")
}

// setTraffic deploys the sandbox stack with chain:traffic set (or unset).
func (b *bench) setTraffic(ctx context.Context, traffic string) error {
	var err error
	if traffic == "" {
		err = b.scratch.Stack.RemoveConfig(ctx, "chain:traffic")
	} else {
		err = b.scratch.Stack.SetConfig(ctx, "chain:traffic", auto.ConfigValue{Value: traffic})
	}
	if err != nil {
		return err
	}
	if _, err := b.scratch.Stack.Up(ctx, optup.ProgressStreams(io.Discard)); err != nil {
		return err
	}
	_, err = b.kubectl.Run("-n", "playground", "rollout", "status", "deployment", "--timeout=5m")
	return err
}

// measureChain loads the chain's first hop through a port-forward and
// reads the hops' CPU from the kubelet before and after.
func measureChain(ctx context.Context, c *verify.Cluster, routed bool) (TrafficRun, error) {
	base, stop, err := c.Forward(ctx, "playground", "service-a", 8000)
	if err != nil {
		return TrafficRun{}, err
	}
	defer stop()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	get := func(jason bool) (time.Duration, string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/service", nil)
		if err != nil {
			return 0, "", err
		}
		if jason {
			req.Header.Set("end-user", "jason")
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, "", fmt.Errorf("status %d: %s (%v)", resp.StatusCode, body, err)
		}
		var answer struct {
			Version string `json:"VERSION"`
		}
		_ = json.Unmarshal(body, &answer)
		return time.Since(start), answer.Version, nil
	}
	// Routed, wait until istiod's routes reached B: 20 jason requests in a row at v2.
	for deadline := time.Now().Add(2 * time.Minute); routed; {
		inRow := 0
		for range 20 {
			if _, v, err := get(true); err == nil && v == "v2" {
				inRow++
			}
		}
		if inRow == 20 {
			break
		}
		if time.Now().After(deadline) {
			return TrafficRun{}, fmt.Errorf("the routes did not reach B within 2 minutes")
		}
		time.Sleep(time.Second)
	}
	for i := range trafficWarmup {
		if _, _, err := get(i%10 == 0); err != nil {
			return TrafficRun{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	// What the hops use with no request (probes, scrapes, span export,
	// xDS), per second: a configuration of more pods uses more of it.
	idleStart, err := hopsCPU(ctx, c)
	if err != nil {
		return TrafficRun{}, err
	}
	time.Sleep(idleWindow)
	idleEnd, err := hopsCPU(ctx, c)
	if err != nil {
		return TrafficRun{}, err
	}
	idlePerSecond := float64(idleEnd-idleStart) / idleWindow.Seconds()
	before, err := hopsCPU(ctx, c)
	if err != nil {
		return TrafficRun{}, err
	}
	run := TrafficRun{Versions: map[string]int{}}
	var mu sync.Mutex
	var latencies []time.Duration
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / trafficRate)
	n := int(trafficDuration.Seconds()) * trafficRate
	for i := range n {
		<-tick.C
		wg.Add(1)
		go func(jason bool) {
			defer wg.Done()
			d, v, err := get(jason)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				run.Errors++
				return
			}
			latencies = append(latencies, d)
			run.Versions[v]++
		}(i%10 == 0)
	}
	tick.Stop()
	wg.Wait()
	after, err := hopsCPU(ctx, c)
	if err != nil {
		return TrafficRun{}, err
	}
	run.Requests = n
	if len(latencies) == 0 {
		return run, fmt.Errorf("every request failed")
	}
	slices.Sort(latencies)
	run.P50 = latencies[len(latencies)/2]
	run.P99 = latencies[len(latencies)*99/100]
	run.CPUPerRequest = (after - before) / time.Duration(n)
	run.IdleCPU = time.Duration(idlePerSecond)
	run.CPUPerRequestLessIdle = time.Duration((float64(after-before) - idlePerSecond*trafficDuration.Seconds()) / float64(n))
	return run, nil
}

// hopsCPU is the CPU the chain's sample-app containers used so far, summed
// over their pods, from the kubelet's summary API (the counters `kubectl
// top` reads through metrics-server, which the sandbox does not run).
func hopsCPU(ctx context.Context, c *verify.Cluster) (time.Duration, error) {
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, node := range nodes.Items {
		raw, err := c.Kube.CoreV1().RESTClient().Get().AbsPath("/api/v1/nodes", node.Name, "proxy", "stats", "summary").DoRaw(ctx)
		if err != nil {
			// kwok's simulated nodes serve no summary: nothing of the chain runs there.
			continue
		}
		var summary struct {
			Pods []struct {
				PodRef struct {
					Name, Namespace string
				} `json:"podRef"`
				Containers []struct {
					Name string `json:"name"`
					CPU  struct {
						UsageCoreNanoSeconds uint64 `json:"usageCoreNanoSeconds"`
					} `json:"cpu"`
				} `json:"containers"`
			} `json:"pods"`
		}
		if err := json.Unmarshal(raw, &summary); err != nil {
			return 0, fmt.Errorf("node %s's stats summary: %w", node.Name, err)
		}
		for _, p := range summary.Pods {
			if p.PodRef.Namespace != "playground" || !strings.HasPrefix(p.PodRef.Name, "service-") {
				continue
			}
			for _, ctr := range p.Containers {
				if ctr.Name == "sample-app" {
					total += time.Duration(ctr.CPU.UsageCoreNanoSeconds)
				}
			}
		}
	}
	return total, nil
}
