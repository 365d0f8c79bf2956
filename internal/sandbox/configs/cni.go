package configs

import "encoding/json"

// CNI is the pod network: one bridge, addresses from host-local, a
// default route to the bridge that ends in the namespace (it has none of
// its own). No masquerade: there is nowhere outside to masquerade to.
type CNI struct {
	Bridge  string
	PodCIDR string
	Gateway string
	IPAMDir string
}

type cniConfList struct {
	CNIVersion string      `json:"cniVersion"`
	Name       string      `json:"name"`
	Plugins    []cniBridge `json:"plugins"`
}

type cniBridge struct {
	Type        string  `json:"type"`
	Bridge      string  `json:"bridge"`
	IsGateway   bool    `json:"isGateway"`
	IPMasq      bool    `json:"ipMasq"`
	HairpinMode bool    `json:"hairpinMode"`
	IPAM        cniIPAM `json:"ipam"`
}

type cniIPAM struct {
	Type    string       `json:"type"`
	Ranges  [][]cniRange `json:"ranges"`
	Routes  []cniRoute   `json:"routes"`
	DataDir string       `json:"dataDir"`
}

type cniRange struct {
	Subnet  string `json:"subnet"`
	Gateway string `json:"gateway"`
}

type cniRoute struct {
	Dst string `json:"dst"`
}

// Render is the conflist.
func (c CNI) Render() ([]byte, error) {
	return json.MarshalIndent(cniConfList{
		CNIVersion: "1.0.0",
		Name:       "sandbox",
		Plugins: []cniBridge{{
			Type: "bridge", Bridge: c.Bridge, IsGateway: true, IPMasq: false, HairpinMode: true,
			IPAM: cniIPAM{
				Type:    "host-local",
				Ranges:  [][]cniRange{{{Subnet: c.PodCIDR, Gateway: c.Gateway}}},
				Routes:  []cniRoute{{Dst: "0.0.0.0/0"}},
				DataDir: c.IPAMDir,
			},
		}},
	}, "", "  ")
}
