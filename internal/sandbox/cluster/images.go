package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"

	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/image"
	"github.com/play-kubernetes/play-kubernetes/internal/sandbox/record"
)

// importImages loads each image tarball that containerd does not hold
// yet, as `kind load` does (nothing can be pulled here), through `ctr`
// (containerd's client library would add a large cold build). An import
// is recorded by the digest and names the index gave it, and counts while
// containerd still lists every name (the kubelet's image GC may remove
// one): an up of a running sandbox then imports only what `make tools`
// rebuilt.
func (sb *Sandbox) importImages(ctx context.Context) error {
	idx, err := image.LoadIndex(sb.Layout.ImageIndex())
	if err != nil {
		return fmt.Errorf("image index %s: %w", sb.Layout.Rel(sb.Layout.ImageIndex()), err)
	}
	listed, err := sb.ctr(ctx, "images", "ls", "-q")
	if err != nil {
		return err
	}
	have := strings.Fields(listed)
	names := make([]string, 0, len(idx))
	for name := range idx {
		names = append(names, name)
	}
	sort.Strings(names)
	imported, kept := 0, 0
	for _, name := range names {
		built := idx[name]
		want := record.Image{Name: name, Digest: built.Digest, Refs: built.Refs}
		if sb.imported(want) && allListed(have, built.Refs) {
			kept++
			continue
		}
		tar := sb.Layout.Image(name)
		if _, err := sb.ctr(ctx, "images", "import", tar); err != nil {
			return fmt.Errorf("importing %s into containerd: %w; its log: %s", sb.Layout.Rel(tar), err, sb.Layout.Rel(sb.State.Log("containerd")))
		}
		if err := sb.update(func(r *record.Record) { r.SetImage(want) }); err != nil {
			return err
		}
		imported++
	}
	sb.Log.Info(fmt.Sprintf("imported %d images, %d already there", imported, kept))
	return nil
}

// imported: the record holds this image with the same digest and names.
func (sb *Sandbox) imported(img record.Image) bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return slices.ContainsFunc(sb.rec.Images, func(r record.Image) bool {
		return r.Name == img.Name && r.Digest == img.Digest && slices.Equal(r.Refs, img.Refs)
	})
}

func allListed(have, refs []string) bool {
	for _, r := range refs {
		if !slices.Contains(have, r) {
			return false
		}
	}
	return true
}

// ctr runs containerd's CLI on the sandbox's socket, in the namespace the
// kubelet's images live in.
func (sb *Sandbox) ctr(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, sb.Layout.Containerd("ctr"), append([]string{"--address", sb.Netns.ContainerdSocket(), "--namespace", "k8s.io"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("ctr %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}
