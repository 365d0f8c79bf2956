package components_test

import (
	"testing"

	"github.com/play-kubernetes/play-kubernetes/components"
)

func TestShutdownValidate(t *testing.T) {
	cases := []struct {
		name     string
		shutdown components.Shutdown
		// want are the refused fields; none: accepted.
		want []string
	}{
		{"the default", components.DefaultShutdown(), nil},
		{"no delay", components.Shutdown{PreStopDelaySeconds: 0, TerminationGracePeriodSeconds: 30}, nil},
		{"the longest delay that leaves time to drain", components.Shutdown{PreStopDelaySeconds: 29, TerminationGracePeriodSeconds: 30}, nil},
		{"a delay as long as the grace period", components.Shutdown{PreStopDelaySeconds: 30, TerminationGracePeriodSeconds: 30}, []string{"preStopDelaySeconds"}},
		{"a negative delay", components.Shutdown{PreStopDelaySeconds: -1, TerminationGracePeriodSeconds: 30}, []string{"preStopDelaySeconds"}},
		{"no grace period", components.Shutdown{PreStopDelaySeconds: 0, TerminationGracePeriodSeconds: 0}, []string{"terminationGracePeriodSeconds"}},
		{"a grace period beyond int32", components.Shutdown{PreStopDelaySeconds: 5, TerminationGracePeriodSeconds: 1 << 31}, []string{"terminationGracePeriodSeconds"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range tc.shutdown.Validate() {
				got = append(got, e.Field)
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("refused %v, want %v", got, tc.want)
			}
		})
	}
}

// TestServingPodsDelayTheirStop: the web server's and every hop's pods
// keep serving for the pre-stop delay (Kubernetes' sleep action) within
// their grace period; without a delay there is no hook.
func TestServingPodsDelayTheirStop(t *testing.T) {
	for _, delay := range []int{5, 0} {
		web := webServerSpec()
		web.PreStopDelaySeconds, web.TerminationGracePeriodSeconds = delay, 40
		mocks, _, _ := runWebServer(t, web, nil)
		chain := chainSpec()
		chain.PreStopDelaySeconds, chain.TerminationGracePeriodSeconds = delay, 40
		chainMocks, _, err := runChain(t, chain, nil)
		if err != nil {
			t.Fatal(err)
		}
		deployments := append(mocks.OfType("kubernetes:apps/v1:Deployment"), chainMocks.OfType("kubernetes:apps/v1:Deployment")...)
		if len(deployments) != 1+len(chain.Hops) {
			t.Fatalf("%d Deployments, want the web server's and %d hops'", len(deployments), len(chain.Hops))
		}
		for _, d := range deployments {
			if got := d.Get("spec.template.spec.terminationGracePeriodSeconds"); got != 40.0 {
				t.Errorf("%s: terminationGracePeriodSeconds %v, want 40", d.Name, got)
			}
			sleep := d.Get("spec.template.spec.containers.0.lifecycle.preStop.sleep.seconds")
			switch {
			case delay > 0 && sleep != float64(delay):
				t.Errorf("%s: pre-stop sleep %v, want %d s", d.Name, sleep, delay)
			case delay == 0 && d.Get("spec.template.spec.containers.0.lifecycle") != nil:
				t.Errorf("%s: a lifecycle hook without a delay: %v", d.Name, d.Get("spec.template.spec.containers.0.lifecycle"))
			}
		}
	}
}
