package configs

import (
	"bytes"

	"github.com/BurntSushi/toml"
)

// Containerd is what containerd's configuration (version 2) is made from.
type Containerd struct {
	Root, State     string
	Socket          string
	OptDir          string
	PauseImage      string
	CNIBin, CNIConf string
}

type containerdConfig struct {
	Version         int                   `toml:"version"`
	Root            string                `toml:"root"`
	State           string                `toml:"state"`
	DisabledPlugins []string              `toml:"disabled_plugins"`
	GRPC            containerdAddress     `toml:"grpc"`
	TTRPC           containerdAddress     `toml:"ttrpc"`
	Plugins         containerdPluginTable `toml:"plugins"`
}

type containerdAddress struct {
	Address string `toml:"address"`
}

type containerdPluginTable struct {
	Opt containerdOpt `toml:"io.containerd.internal.v1.opt"`
	CRI containerdCRI `toml:"io.containerd.grpc.v1.cri"`
}

type containerdOpt struct {
	Path string `toml:"path"`
}

type containerdCRI struct {
	SandboxImage        string `toml:"sandbox_image"`
	StreamServerAddress string `toml:"stream_server_address"`
	StreamServerPort    string `toml:"stream_server_port"`
	// This machine's root lacks CAP_SYS_RESOURCE: never ask runc for an
	// oom_score_adj below containerd's own.
	RestrictOOMScoreAdj bool `toml:"restrict_oom_score_adj"`
	// Pod network namespaces under the state directory, not /run/netns.
	NetnsMountsUnderStateDir bool                `toml:"netns_mounts_under_state_dir"`
	EnableSELinux            bool                `toml:"enable_selinux"`
	Containerd               containerdRuntimes  `toml:"containerd"`
	CNI                      containerdCNIConfig `toml:"cni"`
}

type containerdRuntimes struct {
	Snapshotter        string                       `toml:"snapshotter"`
	DefaultRuntimeName string                       `toml:"default_runtime_name"`
	Runtimes           map[string]containerdRuntime `toml:"runtimes"`
}

type containerdRuntime struct {
	RuntimeType string                   `toml:"runtime_type"`
	Options     containerdRuntimeOptions `toml:"options"`
}

type containerdRuntimeOptions struct {
	SystemdCgroup bool `toml:"SystemdCgroup"`
}

type containerdCNIConfig struct {
	BinDir  string `toml:"bin_dir"`
	ConfDir string `toml:"conf_dir"`
}

// Render is config.toml.
func (c Containerd) Render() ([]byte, error) {
	cfg := containerdConfig{
		Version: 2,
		Root:    c.Root,
		State:   c.State,
		DisabledPlugins: []string{
			"io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
			"io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
		},
		GRPC:  containerdAddress{Address: c.Socket},
		TTRPC: containerdAddress{Address: c.Socket + ".ttrpc"},
		Plugins: containerdPluginTable{
			Opt: containerdOpt{Path: c.OptDir},
			CRI: containerdCRI{
				SandboxImage:             c.PauseImage,
				StreamServerAddress:      "127.0.0.1",
				StreamServerPort:         "0",
				RestrictOOMScoreAdj:      true,
				NetnsMountsUnderStateDir: true,
				Containerd: containerdRuntimes{
					Snapshotter:        "overlayfs",
					DefaultRuntimeName: "runc",
					Runtimes:           map[string]containerdRuntime{"runc": {RuntimeType: "io.containerd.runc.v2"}},
				},
				CNI: containerdCNIConfig{BinDir: c.CNIBin, ConfDir: c.CNIConf},
			},
		},
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
