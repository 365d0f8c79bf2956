package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/play-kubernetes/play-kubernetes/test/utils"
)

// load is a bounded open-loop load on one URL: a request every period,
// each on a new connection (as the tutorial's curl), whether or not the
// earlier ones finished, so a stalled backend shows as failures rather
// than as a slower client.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	sent     int
	failures []string
}

// loadTimeout is how long one request may take before it counts as failed.
const loadTimeout = 5 * time.Second

// startLoad sends perSecond requests a second to url until stop.
func startLoad(url string, perSecond int) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	client := &http.Client{
		Timeout:   loadTimeout,
		Transport: &http.Transport{DisableKeepAlives: true},
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				l.wg.Add(1)
				go func() {
					defer l.wg.Done()
					l.record(request(client, url))
				}()
			}
		}
	}()
	return l
}

// request is one GET, "" when it was answered 200 in full.
func request(client *http.Client, url string) string {
	resp, err := client.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Sprintf("reading the body: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.Status
	}
	return ""
}

func (l *load) record(failure string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
	if failure != "" {
		l.failures = append(l.failures, failure)
	}
}

// stop ends the load, waits for the requests in flight, and returns how
// many were sent and the failures.
func (l *load) stop() (int, []string) {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent, l.failures
}

// waitGone waits until no pod of selector is on its way out: the rollout
// is over for its clients only when the old pods have stopped.
func waitGone(t *testing.T, d *deployment, namespace, selector string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(time.Second) {
		all := len(utils.Items(d.get(t, "pods", "-n", namespace, "-l", selector)))
		if all == len(livePods(t, d, namespace, selector)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods of %s in %s still shutting down after 3 minutes", selector, namespace)
		}
	}
}
