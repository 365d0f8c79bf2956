package configs

import (
	"bytes"

	"github.com/BurntSushi/toml"
)

// Containerd is what containerd's configuration (version 4, containerd
// 2.4's) is made from. Every path containerd would otherwise take from
// its defaults (/run/containerd, /var/lib/containerd, /var/run/nri) is set
// or its plugin disabled, so the node leaves nothing on the host's file
// system outside the sandbox's directories.
type Containerd struct {
	Root, State     string
	Socket          string
	OptDir          string
	PauseImage      string
	CNIBin, CNIConf string
	// Runc is the OCI runtime the shim runs, RuncRoot its state directory
	// (the shim's default is the host's /run/containerd/runc).
	Runc, RuncRoot string
	// ShimSocketDir is where the shims listen (default /run/containerd/s).
	ShimSocketDir string
}

type containerdConfig struct {
	Version int    `toml:"version"`
	Root    string `toml:"root"`
	State   string `toml:"state"`
	// Imports is empty: no drop-in of the host's /etc/containerd applies.
	Imports         []string              `toml:"imports"`
	DisabledPlugins []string              `toml:"disabled_plugins"`
	Plugins         containerdPluginTable `toml:"plugins"`
}

type containerdAddress struct {
	Address string `toml:"address"`
}

type containerdPluginTable struct {
	GRPC    containerdAddress `toml:"io.containerd.server.v1.grpc"`
	TTRPC   containerdAddress `toml:"io.containerd.server.v1.ttrpc"`
	Opt     containerdOpt     `toml:"io.containerd.internal.v1.opt"`
	Shim    containerdShim    `toml:"io.containerd.shim.v1.manager"`
	Images  containerdImages  `toml:"io.containerd.cri.v1.images"`
	Runtime containerdRuntime `toml:"io.containerd.cri.v1.runtime"`
	CRI     containerdCRI     `toml:"io.containerd.grpc.v1.cri"`
}

type containerdOpt struct {
	Path string `toml:"path"`
}

type containerdShim struct {
	SocketDir string `toml:"socket_dir"`
}

type containerdImages struct {
	Snapshotter  string                 `toml:"snapshotter"`
	PinnedImages containerdPinnedImages `toml:"pinned_images"`
}

type containerdPinnedImages struct {
	Sandbox string `toml:"sandbox"`
}

type containerdRuntime struct {
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
	DefaultRuntimeName string                         `toml:"default_runtime_name"`
	Runtimes           map[string]containerdRuntimeOf `toml:"runtimes"`
}

type containerdRuntimeOf struct {
	RuntimeType string                   `toml:"runtime_type"`
	Options     containerdRuntimeOptions `toml:"options"`
}

type containerdRuntimeOptions struct {
	BinaryName    string `toml:"BinaryName"`
	Root          string `toml:"Root"`
	SystemdCgroup bool   `toml:"SystemdCgroup"`
}

type containerdCNIConfig struct {
	BinDirs []string `toml:"bin_dirs"`
	ConfDir string   `toml:"conf_dir"`
}

type containerdCRI struct {
	StreamServerAddress string `toml:"stream_server_address"`
	StreamServerPort    string `toml:"stream_server_port"`
}

// Render is config.toml.
func (c Containerd) Render() ([]byte, error) {
	cfg := containerdConfig{
		Version: 4,
		Root:    c.Root,
		State:   c.State,
		Imports: []string{},
		DisabledPlugins: []string{
			// NRI would create its socket under /var/run/nri on the host.
			"io.containerd.nri.v1.nri",
			"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
			"io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
		},
		Plugins: containerdPluginTable{
			GRPC:   containerdAddress{Address: c.Socket},
			TTRPC:  containerdAddress{Address: c.Socket + ".ttrpc"},
			Opt:    containerdOpt{Path: c.OptDir},
			Shim:   containerdShim{SocketDir: c.ShimSocketDir},
			Images: containerdImages{Snapshotter: "overlayfs", PinnedImages: containerdPinnedImages{Sandbox: c.PauseImage}},
			Runtime: containerdRuntime{
				RestrictOOMScoreAdj:      true,
				NetnsMountsUnderStateDir: true,
				Containerd: containerdRuntimes{
					DefaultRuntimeName: "runc",
					Runtimes: map[string]containerdRuntimeOf{"runc": {
						RuntimeType: "io.containerd.runc.v2",
						Options:     containerdRuntimeOptions{BinaryName: c.Runc, Root: c.RuncRoot},
					}},
				},
				CNI: containerdCNIConfig{BinDirs: []string{c.CNIBin}, ConfDir: c.CNIConf},
			},
			CRI: containerdCRI{StreamServerAddress: "127.0.0.1", StreamServerPort: "0"},
		},
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
