package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func layerEntries(t *testing.T, s *Spec) map[string]*tar.Header {
	t.Helper()
	raw, err := s.Layer()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out["/"+strings.TrimSuffix(h.Name, "/")] = h
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLayerHoldsFilesDirsUsersAndParents(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "html", "index.html"), "welcome")
	writeFile(t, filepath.Join(src, "html", "sub", "50x.html"), "error")
	writeFile(t, filepath.Join(src, "nginx.conf"), "events {}")
	s := &Spec{
		Refs: []string{"localhost/test/nginx:1"},
		Files: []File{
			{Src: filepath.Join(src, "nginx.conf"), Dst: "/etc/nginx/nginx.conf", Mode: "0600"},
			{Src: filepath.Join(src, "html"), Dst: "/usr/share/nginx/html"},
		},
		Dirs:   []Dir{{Path: "/var/cache/nginx", UID: 101, GID: 101}, {Path: "/tmp", Mode: "1777"}},
		Users:  []User{{Name: "nginx", UID: 101, GID: 101}},
		Config: Config{Entrypoint: []string{"/usr/sbin/nginx"}},
	}
	got := layerEntries(t, s)
	for _, want := range []struct {
		path     string
		dir      bool
		mode     int64
		uid, gid int
	}{
		{"/etc", true, 0o755, 0, 0},
		{"/etc/nginx/nginx.conf", false, 0o600, 0, 0},
		{"/usr/share/nginx/html/index.html", false, 0o644, 0, 0},
		{"/usr/share/nginx/html/sub/50x.html", false, 0o644, 0, 0},
		{"/var/cache/nginx", true, 0o755, 101, 101},
		{"/tmp", true, 0o1777, 0, 0},
		{"/etc/passwd", false, 0o644, 0, 0},
	} {
		h, ok := got[want.path]
		if !ok {
			t.Errorf("%s missing from the layer", want.path)
			continue
		}
		if (h.Typeflag == tar.TypeDir) != want.dir || h.Mode != want.mode || h.Uid != want.uid || h.Gid != want.gid {
			t.Errorf("%s: type %c mode %o owner %d:%d, want dir=%v mode %o owner %d:%d",
				want.path, h.Typeflag, h.Mode, h.Uid, h.Gid, want.dir, want.mode, want.uid, want.gid)
		}
	}
	pw, gr := passwd(s.Users)
	if !strings.Contains(string(pw), "nginx:x:101:101:") || !strings.Contains(string(gr), "nginx:x:101:") {
		t.Errorf("passwd/group lack the nginx user:\n%s%s", pw, gr)
	}
}

func TestLayerAddsSharedLibrariesOfDynamicBinaries(t *testing.T) {
	bin, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) to inspect")
	}
	libs, err := sharedLibs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) == 0 {
		t.Skipf("%s is static on this machine", bin)
	}
	s := &Spec{Refs: []string{"localhost/test/true:1"}, Files: []File{{Src: bin, Dst: "/bin/true", Libs: true}}, Config: Config{Entrypoint: []string{"/bin/true"}}}
	got := layerEntries(t, s)
	hasLibc := false
	for p := range got {
		if strings.HasPrefix(filepath.Base(p), "libc.so") {
			hasLibc = true
		}
	}
	if !hasLibc {
		t.Errorf("layer of a dynamic %s has no libc: %v", bin, keys(got))
	}
	if _, ok := got["/lib64/ld-linux-x86-64.so.2"]; !ok {
		t.Errorf("layer lacks the dynamic loader: %v", keys(got))
	}
}

func keys(m map[string]*tar.Header) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestTarballIsImportableUnderEveryNameAndReproducible(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "app"), "#!/bin/false\n")
	s := &Spec{
		Refs:   []string{"localhost/test/app:1", "localhost/test/app:2"},
		Files:  []File{{Src: filepath.Join(src, "app"), Dst: "/app", Mode: "0755"}},
		Config: Config{Entrypoint: []string{"/app"}, User: "65532:65532", ExposedPorts: []string{"8000/tcp"}, Env: []string{"PORT=8000"}, StopSignal: "SIGQUIT"},
		Labels: Labels{"org.opencontainers.image.description": "test"},
	}
	out := filepath.Join(t.TempDir(), "app.tar")
	first, err := s.WriteTarball(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Refs {
		tag, err := name.NewTag(r)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(out, &tag)
		if err != nil {
			t.Fatalf("%s not in the tarball: %v", r, err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.OS != "linux" || cfg.Architecture != "amd64" || cfg.Config.User != "65532:65532" ||
			!slices.Equal(cfg.Config.Entrypoint, []string{"/app"}) || cfg.Config.Labels["org.opencontainers.image.description"] != "test" {
			t.Errorf("%s config: %+v", r, cfg.Config)
		}
		if _, ok := cfg.Config.ExposedPorts["8000/tcp"]; !ok {
			t.Errorf("%s exposes %v, want 8000/tcp", r, cfg.Config.ExposedPorts)
		}
		if cfg.Config.StopSignal != "SIGQUIT" {
			t.Errorf("%s stops with %q, want SIGQUIT (nginx's graceful stop)", r, cfg.Config.StopSignal)
		}
	}
	again, err := s.WriteTarball(out)
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Errorf("the same spec built twice gave %s and %s: the build is not reproducible", first, again)
	}
	// The tarball's manifest lists both tags (what ctr import reads).
	var manifest []struct{ RepoTags []string }
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(manifest) != 1 || len(manifest[0].RepoTags) != 2 {
		t.Errorf("manifest.json = %+v, want one image with both tags", manifest)
	}
}

func TestLoadExpandsVariablesAndRefusesBadSpecs(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "s.json")
	env := map[string]string{"IMG": "localhost/test/app:1", "BIN": "/bin/app"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, body, wantErr string
	}{
		{"expanded", `{"refs":["${IMG}"],"files":[{"src":"${BIN}","dst":"/app"}],"config":{"entrypoint":["/app"]}}`, ""},
		{"unset variable", `{"refs":["${NOPE}"],"config":{"entrypoint":["/app"]}}`, "unset variables: NOPE"},
		{"unknown field", `{"refs":["${IMG}"],"config":{"entrypoint":["/app"]},"tags":[]}`, "unknown field"},
		{"no name", `{"refs":[],"config":{"entrypoint":["/app"]}}`, "refs: want at least one"},
		{"name without tag", `{"refs":["localhost/test/app"],"config":{"entrypoint":["/app"]}}`, "localhost/test/app"},
		{"relative destination", `{"refs":["${IMG}"],"files":[{"src":"a","dst":"app"}],"config":{"entrypoint":["/app"]}}`, "absolute destination"},
		{"nothing to run", `{"refs":["${IMG}"],"config":{}}`, "entrypoint or a cmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(spec, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(spec, lookup)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s.Refs[0] != env["IMG"] || s.Files[0].Src != env["BIN"] {
					t.Errorf("not expanded: %+v", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
