package cluster

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/layout"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// Settings are the SANDBOX_* environment variables, read, defaulted and
// validated once. A recorded sandbox's mode and namespace win over them
// (Sandbox.resolve): `down` and `status` act on what `up` made.
type Settings struct {
	Mode  record.Mode
	Netns string
	// Ports on 127.0.0.1 (inside the namespace in real mode; the API
	// server's is also the forwarder's on the host).
	EtcdPort, EtcdPeerPort, APIServerPort, ControllerManagerPort, SchedulerPort, KwokPort int
	// ServiceCIDR and KwokPodCIDR are the Service and simulated pod
	// ranges.
	ServiceCIDR, KwokPodCIDR string
	// Env is every SANDBOX_* variable, sorted: part of the up key.
	Env []string
}

// setting is one SANDBOX_* variable: where it goes and its default.
type setting struct {
	name string
	port *int
	def  int
}

// ReadSettings reads the settings from the environment.
func ReadSettings(environ []string) (Settings, error) {
	s := Settings{Mode: record.Real, Netns: layout.DefaultNetns}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "SANDBOX_") {
			env[k] = v
			s.Env = append(s.Env, kv)
		}
	}
	slices.Sort(s.Env)
	if v, ok := env["SANDBOX_MODE"]; ok {
		s.Mode = record.Mode(v)
	}
	if v, ok := env["SANDBOX_NETNS"]; ok {
		s.Netns = v
	}
	for _, p := range []setting{
		{"SANDBOX_ETCD_PORT", &s.EtcdPort, 12379},
		{"SANDBOX_ETCD_PEER_PORT", &s.EtcdPeerPort, 12380},
		{"SANDBOX_APISERVER_PORT", &s.APIServerPort, layout.APIServerPort},
		{"SANDBOX_KCM_PORT", &s.ControllerManagerPort, 10257},
		{"SANDBOX_SCHEDULER_PORT", &s.SchedulerPort, 10259},
		{"SANDBOX_KWOK_PORT", &s.KwokPort, 10247},
	} {
		*p.port = p.def
		v, ok := env[p.name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return Settings{}, fmt.Errorf("%s=%q is not accepted; want a port, 1-65535", p.name, v)
		}
		*p.port = n
	}
	s.ServiceCIDR, s.KwokPodCIDR = layout.ServiceCIDR, layout.SimulatedPodCIDR
	if s.Mode == record.Kwok {
		s.ServiceCIDR, s.KwokPodCIDR = layout.KwokServiceCIDR, layout.KwokPodCIDR
	}
	for name, dst := range map[string]*string{"SANDBOX_SERVICE_CIDR": &s.ServiceCIDR, "SANDBOX_POD_CIDR": &s.KwokPodCIDR} {
		if v, ok := env[name]; ok {
			if _, err := netip.ParsePrefix(v); err != nil || !strings.Contains(v, ".") {
				return Settings{}, fmt.Errorf("%s=%q is not accepted; want an IPv4 range like 10.96.0.0/16", name, v)
			}
			*dst = v
		}
	}
	return s, s.validate()
}

func (s Settings) validate() error {
	if s.Mode != record.Real && s.Mode != record.Kwok {
		return fmt.Errorf("SANDBOX_MODE=%q is not accepted; want %s (real pods, the default) or %s (simulated pods)", s.Mode, record.Real, record.Kwok)
	}
	if err := layout.CheckNetnsName(s.Netns); err != nil {
		return fmt.Errorf("SANDBOX_NETNS: %w", err)
	}
	return nil
}

// ReadEnvironment reads the process' own settings.
func ReadEnvironment() (Settings, error) { return ReadSettings(os.Environ()) }
